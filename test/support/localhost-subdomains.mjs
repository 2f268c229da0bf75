// Resolves every `*.localhost` name to loopback in this Node process, as browsers (and
// systemd-resolved) do after RFC 6761; glibc here answers only `localhost` itself. Node's `fetch`
// and `ws` look names up through `dns.lookup`, so after this import a stand-in's host URL such as
// `http://3000-abc.localhost:41234` reaches the stand-in. Import it for its effect, in a test file
// or with `node --import ./test/support/localhost-subdomains.mjs` for a child process.
import dns from 'node:dns';

const patched = Symbol.for('remote-chat.localhost-subdomains');
if (!dns.lookup[patched]) {
  const lookup = dns.lookup;
  const resolving = function (hostname, options, callback) {
    const name = typeof hostname === 'string' && hostname.toLowerCase().endsWith('.localhost') ? 'localhost' : hostname;
    return lookup.call(this, name, options, callback);
  };
  resolving[patched] = true;
  dns.lookup = resolving;
}

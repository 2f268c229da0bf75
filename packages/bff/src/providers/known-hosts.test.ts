import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHostKey, fingerprint, knownHostsName } from './known-hosts.js';

const KEY = randomBytes(51);
const OTHER = randomBytes(51);
const line = (names: string, key: Buffer = KEY) => `${names} ssh-ed25519 ${key.toString('base64')} comment`;

/** A hashed host name as `ssh-keygen -H` writes it. */
function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  it('pins a key by host name on port 22 and by [host]:port on another port', () => {
    expect(checkHostKey(line('example.com,192.0.2.1'), 'example.com', 22, KEY)).toBe('match');
    expect(checkHostKey(line('example.com'), 'example.com', 2222, KEY)).toBe('unknown');
    expect(checkHostKey(line('[example.com]:2222'), 'example.com', 2222, KEY)).toBe('match');
    expect(knownHostsName('example.com', 2222)).toBe('[example.com]:2222');
  });

  it('tells a changed key from an unknown host', () => {
    expect(checkHostKey(line('example.com', OTHER), 'example.com', 22, KEY)).toBe('changed');
    expect(checkHostKey(line('other.example.com'), 'example.com', 22, KEY)).toBe('unknown');
    expect(checkHostKey('', 'example.com', 22, KEY)).toBe('unknown');
    // One of several lines for the host pins it (a host with an ed25519 and an RSA key).
    expect(checkHostKey(`${line('example.com', OTHER)}\n${line('example.com')}`, 'example.com', 22, KEY)).toBe('match');
  });

  it('reads hashed names, wildcards and negations, and skips comments and junk', () => {
    expect(checkHostKey(line(hashed('[127.0.0.1]:2222')), '127.0.0.1', 2222, KEY)).toBe('match');
    expect(checkHostKey(line(hashed('example.com')), 'example.org', 22, KEY)).toBe('unknown');
    expect(checkHostKey(line('*.example.com'), 'build.example.com', 22, KEY)).toBe('match');
    expect(checkHostKey(line('*.example.com,!secret.example.com'), 'secret.example.com', 22, KEY)).toBe('unknown');
    expect(checkHostKey(`# a comment\n\nnot a line\n${line('example.com')}`, 'example.com', 22, KEY)).toBe('match');
  });

  it('refuses a revoked key and ignores certificate authorities', () => {
    const text = `${line('example.com')}\n@revoked ${line('*')}`;
    expect(checkHostKey(text, 'example.com', 22, KEY)).toBe('revoked');
    expect(checkHostKey(`@cert-authority ${line('example.com')}`, 'example.com', 22, KEY)).toBe('unknown');
  });

  it('prints fingerprints as OpenSSH does', () => {
    expect(fingerprint(Buffer.from('abc'))).toBe('SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0');
  });
});

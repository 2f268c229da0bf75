import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

export { freePort } from './free-port.mjs';

const hostServer = fileURLToPath(new URL('../../demo/third-party/host-server.mjs', import.meta.url));

/** The demo's third-party site ("Acme Notes") run as its own process, as an integrator runs theirs. */
export interface HostSite {
  /** Its origin, `http://localhost:PORT`: another site than the BFF's `127.0.0.1`. */
  url: string;
  output(): string;
}

/** Starts demo/third-party/host-server.mjs with the BFF's URL and an API token; stopped when the test ends. */
export async function spawnHostSite(options: { chatUrl: string; apiToken: string; port: number }): Promise<HostSite> {
  const child = spawn(process.execPath, [hostServer], {
    env: {
      ...process.env,
      REMOTE_CHAT_URL: options.chatUrl,
      REMOTE_CHAT_API_TOKEN: options.apiToken,
      PORT: String(options.port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the host site did not start:\n${output}`)), 15_000);
    lines.on('line', (line) => {
      output += `${line}\n`;
      const running = /running at (\S+)/.exec(line);
      if (running) {
        clearTimeout(timer);
        resolve(running[1]!);
      }
    });
    void exited.then(() => reject(new Error(`the host site exited:\n${output}`)));
  });
  return { url, output: () => output };
}

/** What the host site's backend hands its page for one of its users: a client token. */
export async function hostChatToken(site: HostSite, userId: string): Promise<string> {
  const headers = { origin: site.url };
  const signIn = await fetch(`${site.url}/session/login`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user: userId }),
    redirect: 'manual',
  });
  const cookie = signIn.headers.get('set-cookie')?.split(';')[0];
  if (signIn.status !== 303 || !cookie) throw new Error(`the host site's sign-in answered ${signIn.status}`);
  const response = await fetch(`${site.url}/session/chat-token`, { method: 'POST', headers: { ...headers, cookie } });
  if (!response.ok)
    throw new Error(`the host site's chat-token route answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

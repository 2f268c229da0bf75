import { createHash, randomBytes } from 'node:crypto';
import { LIMITS, type ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { clientId, readyRuntime, startTestBff, type TestBff } from './support/bff.js';

async function upload(bff: TestBff, threadId: string, name: string, body: Buffer) {
  return fetch(`${bff.url}/api/threads/${threadId}/uploads?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { cookie: bff.cookie, 'content-type': 'image/png' },
    body: new Blob([new Uint8Array(body)]),
  });
}

async function outputOf(bff: TestBff, threadId: string, command: string): Promise<string> {
  const before = ((await (await bff.api(`/api/threads/${threadId}/events`)).json()) as { lastSeq: number }).lastSeq;
  await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: command } });
  for (;;) {
    const { events } = (await (await bff.api(`/api/threads/${threadId}/events?after=${before}`)).json()) as {
      events: ThreadEvent[];
    };
    if (events.some((e) => e.kind === 'tool.result')) {
      return events.flatMap((e) => (e.kind === 'tool.output' ? [e.data] : [])).join('');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('uploads', () => {
  it('puts a pasted file into the workspace whole, before the message that names it is handled', async () => {
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff);
    // Bigger than one link frame's piece, so it travels in several.
    const file = randomBytes(LIMITS.uploadChunkBytes * 2 + 12345);
    const response = await upload(bff, threadId, 'Screenshot 2026-11-23 at 08.15.png', file);
    expect(response.status).toBe(201);
    const { path, bytes } = (await response.json()) as { path: string; bytes: number };
    expect(bytes).toBe(file.length);
    expect(path).toMatch(/^uploads\/\d{8}-\d{6}-Screenshot-2026-11-23-at-08\.15\.png$/);
    const sum = await outputOf(bff, threadId, `sha256sum '${path}' | cut -d' ' -f1`);
    expect(sum.trim()).toBe(createHash('sha256').update(file).digest('hex'));
  });

  it('keeps a hostile file name inside uploads/, and refuses an oversized file', async () => {
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff);
    const response = await upload(bff, threadId, '../../.ssh/authorized_keys', Buffer.from('ssh-rsa AAAA'));
    const { path } = (await response.json()) as { path: string };
    expect(path).toMatch(/^uploads\/\d{8}-\d{6}-authorized_keys$/);
    expect((await outputOf(bff, threadId, `cat '${path}'`)).trim()).toBe('ssh-rsa AAAA');

    const tooBig = await upload(bff, threadId, 'big.bin', Buffer.alloc(LIMITS.maxUploadBytes + 1));
    expect(tooBig.status).toBe(413);
    expect((await outputOf(bff, threadId, 'ls uploads | wc -l')).trim()).toBe('1');
  });

  it("keeps uploads out of the user's git status, through .git/info/exclude, not .gitignore", async () => {
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff);
    // The workspace as a user's own repository, with a commit and a .gitignore of theirs.
    const setup = [
      'git init -q',
      'git -c user.name=u -c user.email=u@x commit -q --allow-empty -m start',
      'printf "node_modules/\\n" > .gitignore',
      'git add .gitignore',
      'git -c user.name=u -c user.email=u@x commit -q -m ignore',
      'git status --porcelain | wc -l',
    ].join(' && ');
    expect((await outputOf(bff, threadId, setup)).trim()).toBe('0');

    const response = await upload(bff, threadId, 'screenshot.png', Buffer.from('png bytes'));
    const { path } = (await response.json()) as { path: string };
    expect((await outputOf(bff, threadId, `cat '${path}'`)).trim()).toBe('png bytes');
    expect(await outputOf(bff, threadId, 'git status --porcelain --untracked-files=all')).toBe('');
    expect(await outputOf(bff, threadId, 'cat .gitignore')).toBe('node_modules/\n');
    expect(await outputOf(bff, threadId, 'grep -c "^/uploads/$" .git/info/exclude')).toBe('1\n');

    // A second upload adds no second line.
    await upload(bff, threadId, 'two.png', Buffer.from('two'));
    expect((await outputOf(bff, threadId, 'ls uploads | wc -l')).trim()).toBe('2');
    expect(await outputOf(bff, threadId, 'grep -c "^/uploads/$" .git/info/exclude')).toBe('1\n');
    expect(await outputOf(bff, threadId, 'git status --porcelain --untracked-files=all')).toBe('');
  });
});

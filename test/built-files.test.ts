import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogPageResponse, Runtime } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { startTestBff } from './support/bff.js';
import { tempDir } from './support/temp-dir.js';

// The BFF imports no runtime or element code: it copies and serves their built files, found through
// the installed packages unless the options name others.
describe('the files the BFF copies and serves', () => {
  it('serves the portal, the elements and the runtime from the files it is given', async () => {
    const dir = tempDir('rc-files-');
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>another portal</title>');
    writeFileSync(join(dir, 'elements.js'), '// other elements');
    writeFileSync(join(dir, 'elements.js.map'), '{"version":3,"sources":[]}');
    writeFileSync(join(dir, 'runtime.js'), '// another runtime');
    writeFileSync(join(dir, 'remote-chat-github-part.js'), '// a part loaded when needed');
    const bff = await startTestBff({
      portalDir: dir,
      elementsFile: join(dir, 'elements.js'),
      runtimeFile: join(dir, 'runtime.js'),
    });

    expect(await (await fetch(`${bff.url}/`)).text()).toContain('another portal');
    const elements = await fetch(`${bff.url}/remote-chat.js`);
    expect(elements.headers.get('access-control-allow-origin')).toBe('*');
    expect(await elements.text()).toBe('// other elements');
    expect(await (await fetch(`${bff.url}/remote-chat.js.map`)).text()).toBe('{"version":3,"sources":[]}');
    expect(await (await fetch(`${bff.url}/remote-chat-runtime.js`)).text()).toBe('// another runtime');
    // The elements' lazily loaded parts, beside them, to any origin; nothing else of that folder.
    const part = await fetch(`${bff.url}/remote-chat-github-part.js`);
    expect(part.headers.get('access-control-allow-origin')).toBe('*');
    expect(await part.text()).toBe('// a part loaded when needed');
    for (const path of ['/remote-chat-missing.js', '/remote-chat-..%2findex.html', '/remote-chat-part.js%00.txt'])
      expect((await fetch(`${bff.url}${path}`)).status, path).toBe(404);
  });

  it('copies the runtime file it is given into a new runtime', async () => {
    const missing = join(tempDir('rc-files-'), 'no-such-runtime.js');
    const bff = await startTestBff({ runtimeFile: missing });
    const runtime = (await (await bff.api('/api/runtimes', { body: { provider: 'process' } })).json()) as Runtime;
    const deadline = Date.now() + 20_000;
    while (((await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime).status !== 'failed') {
      if (Date.now() > deadline) throw new Error('the runtime did not fail');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const { entries } = (await (await bff.api(`/api/runtimes/${runtime.id}/log`)).json()) as LogPageResponse;
    const install = entries.find(
      (entry) => entry.kind === 'step' && entry.step === 'install' && entry.state === 'failed',
    );
    expect(install).toMatchObject({ detail: expect.stringContaining(missing) });
  });
});

import { spawn } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ShellAgent } from '../agents/shell.js';
import { RuntimeHost } from '../runtime-host.js';
import { tempDirs } from '../test-support/temp.js';
import { outputOf, resultOf, runTurn } from '../test-support/turns.js';
import { waitFor } from '../../../../test/support/wait.js';

const TRIES = 300;
const temp = tempDirs();
let workspace: string;
let outside: string;

beforeEach(async () => {
  workspace = await temp.make('rc-race-ws-');
  outside = await temp.make('rc-race-outside-');
});
afterEach(async () => {
  // The swapper first: it would race the removal of the folders.
  await Promise.all(stoppers.splice(0).map((stop) => stop()));
  await temp.cleanup();
});
const stoppers: (() => Promise<void>)[] = [];

/**
 * Another process that keeps swapping the workspace folder `name` for a symlink to `outside` and
 * back while the test works in it, holding each for a random time under a millisecond: short
 * enough to land between any two steps of what is tested, long enough that on a loaded machine the
 * folder still stays put for some whole tries. Stopped after the test.
 */
async function swapForSymlink(name: string): Promise<void> {
  const real = path.join(workspace, name);
  const aside = path.join(workspace, `${name}.aside`);
  await mkdir(real, { recursive: true });
  const script = `
    const fs = require('node:fs');
    const [real, aside, outside] = process.argv.slice(1);
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const hold = () => Atomics.wait(pause, 0, 0, Math.random());
    let swaps = 0;
    for (;;) {
      try {
        fs.renameSync(real, aside);
      } catch {
        // What was tested made the folder afresh while it was missing: set that one aside instead.
        try { fs.rmSync(aside, { recursive: true, force: true }); fs.renameSync(real, aside); } catch {}
      }
      try { fs.symlinkSync(outside, real); } catch {}
      hold();
      try { fs.unlinkSync(real); } catch {}
      try { fs.renameSync(aside, real); } catch {}
      hold();
      if (++swaps === 100) process.stdout.write('swapping\\n');
    }`;
  const swapper = spawn(process.execPath, ['-e', script, real, aside, outside], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => swapper.once('exit', resolve));
  stoppers.push(async () => {
    swapper.kill('SIGKILL');
    await exited;
  });
  let started = false;
  swapper.stdout.once('data', () => (started = true));
  await waitFor(() => started, 'the swapper to start');
}

it(`/write never lands a file outside the workspace while a folder on its path is swapped for a symlink (${TRIES} tries)`, async () => {
  await swapForSymlink('d');
  const shell = new ShellAgent({ workspace });
  let written = 0;
  for (let i = 0; i < TRIES; i++)
    if (resultOf(await runTurn(shell, `/write d/file-${i}.txt\nwritten ${i}\n`)).ok) written++;
  expect(await readdir(outside)).toEqual([]);
  // Refused while the symlink was there, written while the folder was.
  expect(written).toBeGreaterThan(0);
});

it(`/read never shows a file outside the workspace while a folder on its path is swapped for a symlink (${TRIES} tries)`, async () => {
  await writeFile(path.join(outside, 'secret.txt'), 'outside\n');
  await mkdir(path.join(workspace, 'd'));
  await writeFile(path.join(workspace, 'd', 'secret.txt'), 'inside\n');
  await swapForSymlink('d');
  const shell = new ShellAgent({ workspace });
  const shown = new Set<string>();
  for (let i = 0; i < TRIES; i++) shown.add(outputOf(await runTurn(shell, '/read d/secret.txt')));
  expect(shown).not.toContain('outside\n');
  expect(shown).toContain('inside\n');
});

it(`an upload never lands outside the workspace while its folder is swapped for a symlink (${TRIES} tries)`, async () => {
  await swapForSymlink('uploads');
  const failed = new Set<string>();
  const host = new RuntimeHost({
    workspace,
    agents: [new ShellAgent({ workspace })],
    // Only a failed piece says anything: "The upload of uploads/up-N.txt failed: …".
    send: (message) => failed.add(JSON.stringify(message).match(/uploads\/up-\d+\.txt/)?.[0] ?? '?'),
    log: () => {},
  });
  // In two pieces: each is looked up again, as pieces arrive in separate link frames.
  const data = Buffer.from('uploaded\n').toString('base64');
  for (let i = 0; i < TRIES; i++) {
    const piece = { type: 'file.upload', threadId: 'th_1', path: `uploads/up-${i}.txt`, data } as const;
    await host.handle({ ...piece, offset: 0, final: false });
    await host.handle({ ...piece, offset: 9, final: true });
  }
  expect(await readdir(outside)).toEqual([]);
  // Refused while the symlink was there, written while the folder was.
  expect(failed.size).toBeLessThan(TRIES);
});

import { spawn } from 'node:child_process';
import { expect, it, onTestFinished } from 'vitest';
import { waitFor } from '../../../../test/support/wait.js';
import { COMMAND_ID_ENV, endLeftoverCommands } from './leftover-commands.js';
import { listProcesses } from './processes.js';
import { groupAlive } from './terminal.js';

/** A detached process group started with `environment` added; killed when the test ends. */
function startGroup(script: string, environment: Record<string, string>): number {
  const child = spawn('bash', ['-c', script], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, ...environment },
  });
  const pgid = child.pid!;
  onTestFinished(() => {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Ended already.
    }
  });
  return pgid;
}

const members = (pgid: number): number =>
  listProcesses()!.filter((entry) => entry.pgid === pgid && !entry.zombie).length;

it('ends every process group holding a marked process, even one that ignores SIGTERM, and no other', async () => {
  // What a killed runtime left: a command that ignores SIGTERM, with a child that dropped the mark.
  const leftover = startGroup(`trap '' TERM; env -u ${COMMAND_ID_ENV} sleep 600 & sleep 600`, {
    [COMMAND_ID_ENV]: 'cmd-left',
  });
  // Programs the runtime did not start with those ids, as whatever a reused pid now names would be.
  const unmarked = startGroup('sleep 600', {});
  const otherRuntimes = startGroup('sleep 600', { [COMMAND_ID_ENV]: 'cmd-of-another-runtime' });
  await waitFor(() => members(leftover) >= 2 && members(unmarked) >= 1 && members(otherRuntimes) >= 1, 'the groups');

  const lines: string[] = [];
  const ended = await endLeftoverCommands(['cmd-left', 'cmd-that-ended-unrecorded'], {
    graceMs: 200,
    log: (line) => lines.push(line),
  });
  expect(ended).toBe(1);
  expect(lines).toEqual(['ending 1 process group(s) the previous process left running']);
  await waitFor(() => !groupAlive(leftover), 'the leftover group to end');
  expect(groupAlive(unmarked)).toBe(true);
  expect(groupAlive(otherRuntimes)).toBe(true);
});

it('does nothing when no process carries the ids', async () => {
  expect(await endLeftoverCommands(['cmd-long-gone'], { log: () => {} })).toBe(0);
});

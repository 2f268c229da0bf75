import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDirs } from '../test-support/temp.js';
import { TURN_JOURNAL_FILE_NAME, TurnJournal } from './turn-journal.js';

const temp = tempDirs();
let dir: string;
const open: TurnJournal[] = [];

beforeEach(async () => {
  dir = await temp.make('rc-journal-');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((journal) => journal.close()));
  await temp.cleanup();
});

function openJournal(compactAfterBytes?: number): TurnJournal {
  const journal = TurnJournal.open({ dir, log: () => {}, ...(compactAfterBytes ? { compactAfterBytes } : {}) });
  open.push(journal);
  return journal;
}

describe('turn journal', () => {
  it('remembers what was handled and which turns and tool calls were still open', async () => {
    const journal = openJournal();
    await journal.accepted(1, 'th_a', 7);
    journal.callOpened('th_a', 'call-7');
    await journal.accepted(2, 'th_a', 8);
    await journal.accepted(3, 'th_b', 9);
    journal.received(4);
    journal.ended('th_b', 9);

    // Read back without closing the first: what a killed process leaves.
    const after = openJournal();
    expect(after.lastReceived).toBe(4);
    expect(after.unfinished()).toEqual([
      { threadId: 'th_a', turns: [7, 8], calls: [{ callId: 'call-7', at: expect.any(Number) }] },
    ]);

    journal.callClosed('th_a', 'call-7');
    journal.ended('th_a', 7);
    journal.ended('th_a', 8);
    expect(openJournal().unfinished()).toEqual([]);
  });

  it('drops a torn last line', async () => {
    const journal = openJournal();
    await journal.accepted(1, 'th_a', 1);
    await journal.close();
    await appendFile(path.join(dir, TURN_JOURNAL_FILE_NAME), '{"type":"ended","threadId":"th_a"');
    const after = openJournal();
    expect(after.recovery.droppedBytes).toBeGreaterThan(0);
    expect(after.lastReceived).toBe(1);
    expect(after.unfinished()).toMatchObject([{ threadId: 'th_a', turns: [1] }]);
  });

  it('compacts itself into one snapshot line that keeps the state', async () => {
    const journal = openJournal(2048);
    for (let seq = 1; seq <= 200; seq++) {
      await journal.accepted(seq, 'th_a', seq);
      journal.callOpened('th_a', `call-${seq}`);
      if (seq < 200) {
        journal.callClosed('th_a', `call-${seq}`);
        journal.ended('th_a', seq);
      }
    }
    expect(journal.fileBytes).toBeLessThan(2048 + 200);
    await journal.close();
    const after = openJournal();
    expect(after.lastReceived).toBe(200);
    expect(after.unfinished()).toMatchObject([{ threadId: 'th_a', turns: [200], calls: [{ callId: 'call-200' }] }]);
  });

  it('remembers the commands started and not ended, through a compaction and a file without them', async () => {
    const journal = openJournal(2048);
    for (let n = 1; n <= 100; n++) {
      journal.commandStarting(`cmd-${n}`);
      if (n !== 42) journal.commandEnded(`cmd-${n}`);
    }
    expect(journal.fileBytes).toBeLessThan(2048 + 100);
    // Read back without closing: what a killed process leaves.
    expect(openJournal().leftoverCommands()).toEqual(['cmd-42']);

    // A snapshot written before commands were recorded has none.
    await writeFile(
      path.join(dir, TURN_JOURNAL_FILE_NAME),
      '{"type":"journal","version":1,"lastReceived":3,"threads":[]}\n',
    );
    const old = openJournal();
    expect(old.lastReceived).toBe(3);
    expect(old.leftoverCommands()).toEqual([]);
  });
});

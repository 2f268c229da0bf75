import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PROTOCOL_VERSION } from '@remote-chat/protocol';
import { LinkOutboxFullError, LinkSession, acceptLink } from '@remote-chat/link';
import { RawPeer, startLinkServer } from '../../../../test/support/link-server.js';
import { waitFor } from '../../../../test/support/wait.js';
import { tempDirs } from '../test-support/temp.js';
import { FileOutbox, OUTBOX_FILE_NAME, type FileOutboxOptions } from './file-outbox.js';

const Message = z.object({ n: z.number() });
type Message = z.infer<typeof Message>;

const temp = tempDirs();
let dir: string;
let problems: string[];
const open: FileOutbox<Message>[] = [];

beforeEach(async () => {
  dir = await temp.make('rc-outbox-');
  problems = [];
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((outbox) => outbox.close()));
  await temp.cleanup();
});

function openOutbox(options: Partial<FileOutboxOptions<Message>> = {}): FileOutbox<Message> {
  const outbox = FileOutbox.open({ dir, schema: Message, log: (line) => problems.push(line), ...options });
  open.push(outbox);
  return outbox;
}

async function reopen(
  outbox: FileOutbox<Message>,
  options: Partial<FileOutboxOptions<Message>> = {},
): Promise<FileOutbox<Message>> {
  await outbox.close();
  return openOutbox(options);
}

const file = (): string => path.join(dir, OUTBOX_FILE_NAME);
const lines = async (): Promise<unknown[]> =>
  (await readFile(file(), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as unknown);
const seqs = (outbox: FileOutbox<Message>): number[] => outbox.after(0).map((entry) => entry.seq);

describe('file outbox', () => {
  it('keeps unacknowledged frames and continues the seq numbering after a reopen', async () => {
    let outbox = openOutbox();
    for (let n = 1; n <= 5; n++) expect(outbox.append({ n })).toBe(n);
    outbox.ack(2);
    expect(await lines()).toEqual([
      { outbox: 1, ackedUpTo: 0 },
      ...[1, 2, 3, 4, 5].map((n) => ({ seq: n, message: { n } })),
      { ack: 2 },
    ]);

    outbox = await reopen(outbox);
    expect(outbox).toMatchObject({ size: 3, lastSeq: 5, ackedUpTo: 2 });
    expect(outbox.after(0)).toEqual([3, 4, 5].map((n) => ({ seq: n, message: { n } })));
    expect(outbox.after(4)).toEqual([{ seq: 5, message: { n: 5 } }]);
    expect(outbox.append({ n: 6 })).toBe(6);
    expect(problems).toEqual([]);
  });

  it('reads back what a killed process wrote without closing the file', async () => {
    // No close and no flush: what a SIGKILL leaves. Every append is in the file already.
    const killed = FileOutbox.open({ dir, schema: Message, syncDelayMs: 60_000 });
    for (let n = 1; n <= 3; n++) killed.append({ n });
    killed.ack(1);
    const outbox = openOutbox();
    expect(outbox).toMatchObject({ size: 2, lastSeq: 3, ackedUpTo: 1 });
    await killed.close();
  });

  it('drops a line torn by a crash and appends cleanly after it', async () => {
    let outbox = openOutbox();
    for (let n = 1; n <= 3; n++) outbox.append({ n });
    await outbox.close();
    await appendFile(file(), '{"seq":4,"message":{"n"');

    outbox = openOutbox();
    expect(outbox).toMatchObject({ size: 3, lastSeq: 3 });
    expect(outbox.recovery.droppedBytes).toBe('{"seq":4,"message":{"n"'.length);
    expect(problems.join('\n')).toContain('dropped 23 bytes');
    expect(outbox.append({ n: 4 })).toBe(4);

    outbox = await reopen(outbox);
    expect(outbox.after(0).map((entry) => entry.message.n)).toEqual([1, 2, 3, 4]);
  });

  it('ends the log at a corrupt line so the kept frames never have a gap', async () => {
    let outbox = openOutbox();
    for (let n = 1; n <= 2; n++) outbox.append({ n });
    await outbox.close();
    // A block of zeros (what a power loss can leave), then a line that would follow it.
    await appendFile(file(), `${'\0'.repeat(16)}\n${JSON.stringify({ seq: 4, message: { n: 4 } })}\n`);
    outbox = openOutbox();
    expect(seqs(outbox)).toEqual([1, 2]);
    expect(outbox.append({ n: 3 })).toBe(3);
    // A frame out of sequence also ends it.
    await outbox.close();
    await appendFile(file(), `${JSON.stringify({ seq: 9, message: { n: 9 } })}\n`);
    outbox = openOutbox();
    expect(seqs(outbox)).toEqual([1, 2, 3]);
  });

  it('starts empty when the file is not an outbox at all', async () => {
    await writeFile(file(), 'not json\n');
    const outbox = openOutbox();
    expect(outbox).toMatchObject({ size: 0, lastSeq: 0, ackedUpTo: 0 });
    expect(problems.join('\n')).toContain('unreadable');
    expect(await lines()).toEqual([{ outbox: 1, ackedUpTo: 0 }]);
  });

  it('compacts the file once acknowledged records dominate it', async () => {
    let outbox = openOutbox({ compactAfterBytes: 1024 });
    for (let n = 1; n <= 100; n++) {
      outbox.append({ n });
      // The peer acknowledges as it goes, as a live link does.
      if (n % 5 === 0) outbox.ack(n - 2);
    }
    expect(outbox.fileBytes).toBeLessThan(2 * 1024 + outbox.keptBytes);
    outbox.ack(98);
    outbox.ack(99);
    expect(outbox).toMatchObject({ size: 1, lastSeq: 100, ackedUpTo: 99 });

    outbox = await reopen(outbox, { compactAfterBytes: 1024 });
    expect(outbox.after(0)).toEqual([{ seq: 100, message: { n: 100 } }]);
    expect(outbox.append({ n: 101 })).toBe(101);
    // Once everything is acknowledged, a compaction leaves just the header.
    outbox.ack(101);
    for (let n = 102; n <= 200; n++) {
      outbox.append({ n });
      outbox.ack(n);
    }
    expect(outbox.fileBytes).toBeLessThan(2 * 1024);
    outbox = await reopen(outbox);
    expect(outbox).toMatchObject({ size: 0, lastSeq: 200, ackedUpTo: 200 });
  });

  it('refuses frames past its byte bound until the peer acknowledges some', () => {
    const outbox = openOutbox({ maxBytes: 400 });
    let accepted = 0;
    const full = (() => {
      try {
        for (;;) {
          outbox.append({ n: accepted + 1 });
          accepted++;
        }
      } catch (error) {
        return error;
      }
    })();
    expect(full).toBeInstanceOf(LinkOutboxFullError);
    expect((full as LinkOutboxFullError).unit).toBe('bytes');
    expect(outbox.keptBytes).toBeLessThanOrEqual(400);
    expect(accepted).toBeGreaterThan(5);
    expect(outbox.lastSeq).toBe(accepted);
    outbox.ack(2);
    expect(outbox.append({ n: 0 })).toBe(accepted + 1);
  });

  it('renumbers kept frames durably when the peer lost its state', async () => {
    let outbox = openOutbox();
    for (let n = 1; n <= 3; n++) outbox.append({ n });
    outbox.ack(1);
    outbox.rebase(10);
    expect(outbox.after(0)).toEqual([
      { seq: 10, message: { n: 2 } },
      { seq: 11, message: { n: 3 } },
    ]);
    outbox = await reopen(outbox);
    expect(outbox).toMatchObject({ size: 2, lastSeq: 11, ackedUpTo: 9 });
    expect(outbox.append({ n: 4 })).toBe(12);
  });
});

describe('file outbox under a link session', () => {
  it('counts bytes too when the outbox is bounded in bytes', async () => {
    const outbox = openOutbox({ maxBytes: 1_000 });
    const session = new LinkSession<Message, Message>({ inbound: Message, onMessage: () => {}, outbox });
    let n = 0;
    while (!session.pressure) session.send({ n: ++n });
    expect(outbox.bytes).toBeGreaterThanOrEqual(800);
    expect(outbox.bytes).toBeLessThan(1_000);
    expect(session.pending).toBe(n); // far below the 10 000 frames
    const server = await startLinkServer((socket) => {
      acceptLink(socket, { verify: () => true, session: () => session }).catch(() => {});
    });
    try {
      const peer = await RawPeer.connect(server.url);
      peer.send({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        runtimeId: 'rt_1',
        token: 'a-token-of-16-chars+',
        lastReceived: 0,
      });
      await waitFor(() => peer.ofType('welcome').length > 0 && session.state === 'open', 'welcome');
      peer.send({ type: 'ack', upTo: n });
      await waitFor(() => !session.pressure, 'the pressure to ease');
      expect(outbox.bytes).toBe(0);
    } finally {
      await server.close();
    }
  });
});

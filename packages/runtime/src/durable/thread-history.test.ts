import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { EventBody } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/temp-dir.js';
import { THREAD_HISTORY_FOLDER, ThreadHistory } from './thread-history.js';

const user: EventBody = { kind: 'message.user', clientId: 'c1', text: 'run the tests', agent: 'llm' };
const call: EventBody = {
  kind: 'tool.call',
  callId: 'k1',
  tool: 'terminal',
  title: 'npm test',
  input: { command: 'npm test' },
};
const result: EventBody = { kind: 'tool.result', callId: 'k1', ok: true, exitCode: 0, durationMs: 5 };
const output = (data: string): EventBody => ({ kind: 'tool.output', callId: 'k1', stream: 'stdout', data });

describe('a thread history', () => {
  it('keeps what was said and done, not deltas or statuses, and has it after a restart', async () => {
    const dir = tempDir();
    const history = new ThreadHistory({ dir });
    const events: EventBody[] = [
      user,
      { kind: 'status', state: 'thinking' },
      { kind: 'message.delta', messageId: 'm1', text: 'Ru' },
      { kind: 'message.agent', messageId: 'm1', text: 'Running.', agent: 'llm', model: 'gpt' },
      call,
      output('ok\n'),
      result,
      { kind: 'file.write', callId: 'k1', path: 'a', diff: '+x', created: true, bytes: 1 },
      { kind: 'status', state: 'idle' },
    ];
    for (const event of events) history.record('th_1', event);
    const kept = events.filter((event) => event.kind !== 'status' && event.kind !== 'message.delta');
    expect(history.events('th_1')).toEqual(kept);
    expect(history.events('th_other')).toEqual([]);
    await history.close();

    const restarted = new ThreadHistory({ dir });
    expect(restarted.events('th_1')).toEqual(kept);
    await restarted.close();
  });

  it('keeps the start and the end of a long output, with a note of what it left out', async () => {
    const history = new ThreadHistory({ dir: tempDir(), outputHeadChars: 10, outputTailChars: 8 });
    history.record('th_1', call);
    for (const piece of ['0123456', '789abcdef', 'ghijklmnop', 'qrstuvwxyz']) history.record('th_1', output(piece));
    history.record('th_1', result);
    const outputs = history.events('th_1').flatMap((event) => (event.kind === 'tool.output' ? [event.data] : []));
    expect(outputs.join('')).toBe('0123456789\n[… 18 characters of output not kept …]\nstuvwxyz');
    await history.close();
  });

  it('replaces what it kept of a thread with a handed-over conversation, and has it after a restart', async () => {
    const dir = tempDir();
    const history = new ThreadHistory({ dir });
    history.record('th_1', { kind: 'message.user', clientId: 'old', text: 'from before', agent: 'llm' });
    const handed: EventBody[] = [user, { kind: 'status', state: 'idle' }, call, output('ok\n'), result];
    history.replace('th_1', handed);
    history.record('th_1', { kind: 'message.agent', messageId: 'm2', text: 'after', agent: 'llm' });
    const expected = [
      user,
      call,
      output('ok\n'),
      result,
      { kind: 'message.agent', messageId: 'm2', text: 'after', agent: 'llm' },
    ];
    expect(history.events('th_1')).toEqual(expected);
    await history.close();
    expect(new ThreadHistory({ dir }).events('th_1')).toEqual(expected);
  });

  it('drops a line torn by a crash and goes on after it', async () => {
    const dir = tempDir();
    const history = new ThreadHistory({ dir });
    history.record('th_1', user);
    await history.close();
    appendFileSync(path.join(dir, THREAD_HISTORY_FOLDER, 'th_1.jsonl'), '{"event":{"kind":"message.ag');
    const reopened = new ThreadHistory({ dir });
    expect(reopened.events('th_1')).toEqual([user]);
    reopened.record('th_1', call);
    await reopened.close();
    expect(readFileSync(path.join(dir, THREAD_HISTORY_FOLDER, 'th_1.jsonl'), 'utf8').split('\n')).toHaveLength(3);
    expect(new ThreadHistory({ dir }).events('th_1')).toEqual([user, call]);
  });

  it('serves more threads than it keeps open', async () => {
    const history = new ThreadHistory({ dir: tempDir(), maxOpen: 2 });
    for (let i = 0; i < 5; i++) history.record(`th_${i}`, { ...user, text: `message ${i}` });
    for (let i = 0; i < 5; i++) expect(history.events(`th_${i}`)).toEqual([{ ...user, text: `message ${i}` }]);
    await history.close();
  });
});

import { describe, expect, it } from 'vitest';
import { OutputBuffer, type OutputStream } from './output-buffer.js';
import { splitText, truncateText } from './text-chunks.js';
import { sleep } from '../../../../test/support/wait.js';

function collector() {
  const pieces: { stream: OutputStream; data: string }[] = [];
  return { pieces, emit: (stream: OutputStream, data: string) => pieces.push({ stream, data }) };
}

describe('output buffer', () => {
  it('holds small writes briefly and sends them together', async () => {
    const { pieces, emit } = collector();
    const buffer = new OutputBuffer(emit, { flushMs: 25 });
    buffer.write('stdout', Buffer.from('a\n'));
    buffer.write('stdout', Buffer.from('b\n'));
    expect(pieces).toEqual([]);
    await sleep(60);
    expect(pieces).toEqual([{ stream: 'stdout', data: 'a\nb\n' }]);
  });

  it('sends at once when enough is buffered, in pieces no larger than the limit', () => {
    const { pieces, emit } = collector();
    const buffer = new OutputBuffer(emit, { flushChars: 100, maxChunkChars: 40 });
    buffer.write('stdout', Buffer.from('x'.repeat(100)));
    expect(pieces.map((p) => p.data.length)).toEqual([40, 40, 20]);
  });

  it('keeps the order between stdout and stderr', () => {
    const { pieces, emit } = collector();
    const buffer = new OutputBuffer(emit);
    buffer.write('stdout', Buffer.from('1'));
    buffer.write('stderr', Buffer.from('2'));
    buffer.write('stdout', Buffer.from('3'));
    buffer.end();
    expect(pieces).toEqual([
      { stream: 'stdout', data: '1' },
      { stream: 'stderr', data: '2' },
      { stream: 'stdout', data: '3' },
    ]);
  });

  it('decodes a UTF-8 character split across writes', () => {
    const { pieces, emit } = collector();
    const buffer = new OutputBuffer(emit);
    const bytes = Buffer.from('✓🎉');
    for (const byte of bytes) buffer.write('stdout', Buffer.from([byte]));
    buffer.end();
    expect(pieces.map((p) => p.data).join('')).toBe('✓🎉');
  });

  it('never splits a surrogate pair', () => {
    const text = 'a🎉'.repeat(10);
    for (const max of [2, 3, 4, 5]) {
      const parts = splitText(text, max);
      expect(parts.join('')).toBe(text);
      for (const part of parts) expect(part).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    }
    expect(truncateText('abcdef', 4)).toBe('abc…');
  });
});

import { describe, expect, it } from 'vitest';
import { exactEdit } from './exact-edit.js';

const edit = (content: string, oldText: string, newText: string, replaceAll?: boolean) =>
  exactEdit(content, oldText, newText, { path: 'f.ts', ...(replaceAll !== undefined ? { replaceAll } : {}) });

describe('an edit by exact replacement', () => {
  it('replaces the one place old_text names', () => {
    expect(edit('a\nb\nc\n', 'b\n', 'B\n')).toEqual({ ok: true, content: 'a\nB\nc\n', replaced: 1 });
  });

  it('refuses old_text found in several places unless replace_all, naming the lines', () => {
    const refused = edit('x\ny\nx\nx\n', 'x', 'z');
    expect(refused).toEqual({
      ok: false,
      reason:
        'old_text occurs 3 times in f.ts (at lines 1, 3, 4). Add surrounding lines to old_text so that it matches one place, or set replace_all to change every occurrence.',
    });
    expect(edit('x\ny\nx\nx\n', 'x', 'z', true)).toEqual({ ok: true, content: 'z\ny\nz\nz\n', replaced: 3 });
  });

  it('refuses old_text that is not there, and points at a near match that differs in whitespace', () => {
    expect(edit('a\n', 'q', 'r')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^old_text was not found in f\.ts\. Read the file again/),
    });
    const near = edit('function f() {\n    return 1;\n}\n', 'function f() {\n  return 1;\n}', 'x');
    expect(near).toMatchObject({
      ok: false,
      reason: expect.stringContaining('differs only in whitespace starts at line 1'),
    });
  });

  it('refuses an empty or unchanged old_text', () => {
    expect(edit('a', '', 'b')).toMatchObject({ ok: false, reason: expect.stringContaining('use write_file') });
    expect(edit('a', 'a', 'a')).toMatchObject({ ok: false, reason: expect.stringContaining('nothing would change') });
  });

  it('matches LF old_text in a CRLF file and keeps the CRLFs', () => {
    expect(edit('one\r\ntwo\r\nthree\r\n', 'one\ntwo', 'ONE\nTWO')).toEqual({
      ok: true,
      content: 'ONE\r\nTWO\r\nthree\r\n',
      replaced: 1,
    });
  });

  it('does not treat $ patterns in new_text specially', () => {
    expect(edit('price', 'price', "$& $1 $$ $'")).toEqual({ ok: true, content: "$& $1 $$ $'", replaced: 1 });
  });
});

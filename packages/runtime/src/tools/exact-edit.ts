/** An edit by exact replacement, or why it was refused (a sentence for the model that asked). */
export type ExactEdit = { ok: true; content: string; replaced: number } | { ok: false; reason: string };

/**
 * Replaces `oldText` with `newText` in `content`. Refuses, with a reason that says what to do
 * instead: an empty or unchanged `oldText`, one that is not there (noting a near match that
 * differs only in whitespace), and one that is there more than once unless `replaceAll`. A file
 * with CRLF line ends matches an `oldText` written with LF ones, and keeps its CRLFs.
 */
export function exactEdit(
  content: string,
  oldText: string,
  newText: string,
  options: { replaceAll?: boolean; path: string },
): ExactEdit {
  const { path } = options;
  if (oldText === '') {
    return { ok: false, reason: `old_text is empty. To write ${path} whole, use write_file.` };
  }
  if (oldText === newText) return { ok: false, reason: 'old_text and new_text are the same: nothing would change.' };
  let find = oldText;
  let replacement = newText;
  if (!content.includes(find) && content.includes('\r\n') && !oldText.includes('\r\n')) {
    find = oldText.replaceAll('\n', '\r\n');
    replacement = newText.replaceAll('\n', '\r\n');
  }
  const at = occurrences(content, find);
  if (at.length === 0) {
    const near = nearMatchLine(content, oldText);
    return {
      ok: false,
      reason:
        near === undefined
          ? `old_text was not found in ${path}. Read the file again (it may have changed) and copy the text exactly, with its indentation and line breaks.`
          : `old_text was not found exactly in ${path}; a text that differs only in whitespace starts at line ${near}. Copy the text exactly as read_file shows it, with its indentation.`,
    };
  }
  if (at.length > 1 && !options.replaceAll) {
    const lines = at.slice(0, 10).map((index) => lineOf(content, index));
    const more = at.length > 10 ? ', …' : '';
    return {
      ok: false,
      reason: `old_text occurs ${at.length} times in ${path} (at lines ${lines.join(', ')}${more}). Add surrounding lines to old_text so that it matches one place, or set replace_all to change every occurrence.`,
    };
  }
  return { ok: true, content: content.split(find).join(replacement), replaced: at.length };
}

function occurrences(content: string, find: string): number[] {
  const found: number[] = [];
  for (let index = content.indexOf(find); index !== -1; index = content.indexOf(find, index + find.length)) {
    found.push(index);
  }
  return found;
}

function lineOf(content: string, index: number): number {
  let line = 1;
  for (let i = content.indexOf('\n'); i !== -1 && i < index; i = content.indexOf('\n', i + 1)) line++;
  return line;
}

/** The line where a text equal to `oldText` but for whitespace starts, if there is one. */
function nearMatchLine(content: string, oldText: string): number | undefined {
  const squeeze = (text: string) => text.replace(/\s+/g, ' ').trim();
  const wanted = squeeze(oldText);
  if (wanted === '') return undefined;
  const lines = content.split('\n');
  const span = oldText.split('\n').length;
  for (let start = 0; start < lines.length; start++) {
    // A window a few lines larger than old_text tolerates blank lines added or removed.
    for (let extra = 0; extra <= 2; extra++) {
      const window = squeeze(lines.slice(start, start + span + extra).join('\n'));
      if (window.startsWith(wanted) && squeeze(lines[start] ?? '') !== '') return start + 1;
    }
  }
  return undefined;
}

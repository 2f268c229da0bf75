/** How a line of a unified diff reads. Headers (`---`, `+++`, `====`, `Index:`) are not kept. */
export type DiffLineKind = 'add' | 'del' | 'hunk' | 'context' | 'note';

export interface DiffLine {
  kind: DiffLineKind;
  /** The line without its `+`, `-` or space marker; a hunk's header text. */
  text: string;
  /** Line numbers in the old and new file, where the line exists there. */
  oldLine?: number;
  newLine?: number;
}

const HEADER = /^(?:={3,}$|Index: |diff |index |--- |\+\+\+ )/;
const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@ ?(.*)$/;

/**
 * Splits a unified diff into the lines a reader wants: each hunk's added, removed and unchanged
 * lines with their line numbers, and a separator per hunk. File headers are dropped (the card
 * already names the file).
 */
export function parseUnifiedDiff(diff: string): DiffLine[] {
  const out: DiffLine[] = [];
  let oldLine = 0;
  let newLine = 0;
  let inHunk = false;
  for (const raw of diff.replace(/\n$/, '').split('\n')) {
    const hunk = HUNK.exec(raw);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      inHunk = true;
      out.push({ kind: 'hunk', text: hunk[3] ?? '' });
      continue;
    }
    if (!inHunk) {
      if (HEADER.test(raw) || raw === '') continue;
      out.push({ kind: 'note', text: raw });
      continue;
    }
    if (raw.startsWith('+')) out.push({ kind: 'add', text: raw.slice(1), newLine: newLine++ });
    else if (raw.startsWith('-')) out.push({ kind: 'del', text: raw.slice(1), oldLine: oldLine++ });
    else if (raw.startsWith('\\')) out.push({ kind: 'note', text: raw.slice(1).trim() });
    else if (HEADER.test(raw)) inHunk = false;
    else out.push({ kind: 'context', text: raw.slice(1), oldLine: oldLine++, newLine: newLine++ });
  }
  return out;
}

/** Lines added and removed. */
export function diffStats(lines: readonly DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of lines) {
    if (line.kind === 'add') added++;
    else if (line.kind === 'del') removed++;
  }
  return { added, removed };
}

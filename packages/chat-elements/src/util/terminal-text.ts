/** CSI and OSC sequences and other two-byte escapes (colours, cursor moves, titles). */
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
// eslint-disable-next-line no-control-regex
const OTHER_CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/g;

/**
 * Terminal output as plain text: escape sequences removed, `\r\n` as a newline, and a line that a
 * lone `\r` rewrote (a progress bar) reduced to what it shows last. It stays text: callers render
 * it in a text node, never as HTML.
 */
export function terminalText(raw: string): string {
  const text = raw.replace(ANSI, '').replace(/\r\n/g, '\n').replace(OTHER_CONTROLS, '');
  if (!text.includes('\r')) return text;
  return text
    .split('\n')
    .map((line) => {
      const parts = line.split('\r');
      let shown = '';
      for (const part of parts) shown = part + shown.slice(part.length);
      return shown;
    })
    .join('\n');
}

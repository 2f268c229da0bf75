/** Splits text into pieces of at most `maxChars` UTF-16 units without cutting a surrogate pair. */
export function splitText(text: string, maxChars: number): string[] {
  if (text.length <= maxChars) return text ? [text] : [];
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + maxChars, text.length);
    // Never end a piece on a high surrogate: its low half belongs with it.
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end--;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** Shortens text to at most `maxChars`, ending with `suffix` when it had to cut. */
export function truncateText(text: string, maxChars: number, suffix = '…'): string {
  if (text.length <= maxChars) return text;
  let end = maxChars - suffix.length;
  if (isHighSurrogate(text.charCodeAt(end - 1))) end--;
  return text.slice(0, end) + suffix;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** "1.2 KB"-style sizes for people. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

import { parseAnsiSequences, type Color } from 'ansi-sequence-parser';

/** A run of terminal text with one style. Rendered as a text node in a span: never as HTML. */
export interface AnsiSegment {
  text: string;
  /** `ansi-red-fg ansi-bold …`: the 16 colours and the decorations, themable in CSS. */
  classes: string;
  /** `rgb(…)` for 256-colour and true-colour text. */
  color?: string;
  background?: string;
}

// Everything but colour (SGR) is dropped before the colour parser sees the text: cursor moves,
// screen clears, OSC titles and OSC 8 hyperlinks (whose URL could be anything) cannot reach the
// page, and a lone `\r` (a progress bar redrawing its line) keeps only what the line shows last.
// eslint-disable-next-line no-control-regex
const NOT_SGR =
  /\x1b\[[0-?]*[ -/]*[@-ln-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[@-Z\\-_]|\x1b(?!\[)/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/g;

/** Terminal output with every escape but colours removed and `\r` line rewrites applied. */
export function cleanTerminalText(raw: string): string {
  const text = raw.replace(NOT_SGR, '').replace(/\r\n/g, '\n').replace(CONTROLS, '');
  if (!text.includes('\r')) return text;
  return text
    .split('\n')
    .map((line) => {
      // A redrawn line shows its last drawing (escapes have no width, so no overlaying by column).
      const parts = line.split('\r');
      for (let i = parts.length - 1; i >= 0; i--) if (parts[i]) return parts[i];
      return '';
    })
    .join('\n');
}

/** Terminal output as plain text, every escape removed. */
export function terminalText(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return cleanTerminalText(raw).replace(/\x1b\[[0-9;:]*m/g, '');
}

const CUBE = [0, 95, 135, 175, 215, 255];

/** The colour of an xterm 256-colour palette index above the first 16. */
function paletteColor(index: number): string | undefined {
  if (index >= 16 && index < 232) {
    const n = index - 16;
    return `rgb(${CUBE[Math.floor(n / 36)]}, ${CUBE[Math.floor(n / 6) % 6]}, ${CUBE[n % 6]})`;
  }
  if (index >= 232 && index < 256) {
    const v = 8 + (index - 232) * 10;
    return `rgb(${v}, ${v}, ${v})`;
  }
  return undefined;
}

/** A colour: a class for the 16 themable colours, or an rgb() value for the others. */
function colorOf(color: Color | null, layer: 'fg' | 'bg'): { cls?: string; rgb?: string } {
  if (!color) return {};
  if (color.type === 'named') {
    const bright = color.name.startsWith('bright');
    const base = bright ? color.name.slice(6).toLowerCase() : color.name;
    return { cls: `ansi-${bright ? 'bright-' : ''}${base}-${layer}` };
  }
  if (color.type === 'rgb') {
    const [r, g, b] = color.rgb.map((v) => Math.max(0, Math.min(255, Math.round(v))));
    return { rgb: `rgb(${r}, ${g}, ${b})` };
  }
  if (color.index < 16) {
    const names = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];
    return { cls: `ansi-${color.index >= 8 ? 'bright-' : ''}${names[color.index % 8]}-${layer}` };
  }
  const rgb = paletteColor(color.index);
  return rgb ? { rgb } : {};
}

/** Terminal output as styled runs: colours and bold, italic, underline…; nothing else survives. */
export function ansiSegments(raw: string): AnsiSegment[] {
  const text = cleanTerminalText(raw);
  if (!text.includes('\x1b')) return text ? [{ text, classes: '' }] : [];
  const segments: AnsiSegment[] = [];
  for (const token of parseAnsiSequences(text)) {
    // Whatever the parser did not understand is dropped rather than shown as an escape.
    // eslint-disable-next-line no-control-regex
    const content = token.value.replace(/\x1b\[?[0-9;:]*[A-Za-z]?/g, '');
    if (!content) continue;
    const fg = colorOf(token.foreground, 'fg');
    const bg = colorOf(token.background, 'bg');
    const classes = [fg.cls, bg.cls, ...[...token.decorations].map((d) => `ansi-${d}`)].filter(Boolean).join(' ');
    const segment: AnsiSegment = { text: content, classes };
    if (fg.rgb) segment.color = fg.rgb;
    if (bg.rgb) segment.background = bg.rgb;
    const last = segments[segments.length - 1];
    if (last && last.classes === classes && last.color === segment.color && last.background === segment.background) {
      last.text += content;
    } else segments.push(segment);
  }
  return segments;
}

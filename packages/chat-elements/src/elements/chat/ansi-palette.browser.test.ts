// The 16 ANSI colours come from the theme (--rc-ansi-*): command output must stay readable on the
// terminal background in both schemes, the way `ls --color` shows directories (blue), programs
// (green) and links (cyan).
import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, fixture } from '../../fixtures/harness.js';
import { readyRuntime } from '../../fixtures/runtimes.js';
import { threadEvents } from '../../fixtures/thread-events.js';
import type { RcChat } from './chat.js';
import './define.js';

afterEach(cleanUp);

const NAMES = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];
/** Every colour by its class name (`ansi-red`, `ansi-bright-red`…) and its SGR code offset. */
const COLOURS = [
  ...NAMES.map((name, i) => ({ name, offset: i })),
  ...NAMES.map((name, i) => ({ name: `bright-${name}`, offset: 60 + i })),
];

// One line per colour as foreground, then one per colour as background.
const output = [
  ...COLOURS.map((c) => `\u001b[${30 + c.offset}m${c.name}\u001b[0m`),
  ...COLOURS.map((c) => `\u001b[${40 + c.offset}m${c.name} background\u001b[0m`),
].join('\n');

/** sRGB channels 0–255 of a computed colour: `rgb(…)`, `rgba(…)` or `color(srgb …)` (what color-mix() computes to). */
function channels(color: string): [number, number, number] {
  const srgb = /^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)/.exec(color);
  if (srgb) return [Number(srgb[1]) * 255, Number(srgb[2]) * 255, Number(srgb[3]) * 255];
  const rgb = /^rgba?\(([\d.]+),? ([\d.]+),? ([\d.]+)/.exec(color);
  if (!rgb) throw new Error(`cannot read the colour ${color}`);
  return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
}

/** WCAG 2 relative luminance. */
function luminance(color: string): number {
  const [r, g, b] = channels(color).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio, 1 to 21. */
function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

describe('the ANSI palette', () => {
  it('computes WCAG contrast as the spec does', () => {
    expect(contrast('rgb(0, 0, 0)', 'rgb(255, 255, 255)')).toBeCloseTo(21, 5);
    expect(contrast('rgb(118, 118, 118)', 'rgb(255, 255, 255)')).toBeCloseTo(4.54, 2);
    expect(contrast('color(srgb 0.5 0.5 0.5)', 'color(srgb 0.5 0.5 0.5)')).toBe(1);
  });

  for (const scheme of ['light', 'dark']) {
    it(`reads every colour, and text on every background, at a contrast of 4.5 or more (${scheme})`, async () => {
      const events = threadEvents('th_ansi', [
        { kind: 'tool.call', callId: 'c1', tool: 'terminal', title: 'colours', input: { command: 'colours' } },
        { kind: 'tool.output', callId: 'c1', stream: 'stdout', data: output },
        { kind: 'tool.result', callId: 'c1', ok: true, exitCode: 0, signal: null, durationMs: 5 },
      ]);
      const chat = await fixture<RcChat>(
        html`<rc-chat theme=${scheme} thread-id="th_ansi" .runtime=${readyRuntime} .events=${events}></rc-chat>`,
        { width: '900px', height: '1200px' },
      );
      const terminal = chat.shadowRoot!.querySelector<HTMLElement>('.terminal')!;
      const background = getComputedStyle(terminal).backgroundColor;
      const text = getComputedStyle(terminal).color;
      const found: Record<string, number> = {};
      for (const { name } of COLOURS) {
        const fg = terminal.querySelector(`.ansi-${name}-fg`)!;
        found[name] = contrast(getComputedStyle(fg).color, background);
        const bg = getComputedStyle(terminal.querySelector(`.ansi-${name}-bg`)!);
        found[`text on ${name}`] = contrast(bg.color, bg.backgroundColor);
      }
      expect(Object.keys(found)).toHaveLength(32);
      const low = Object.entries(found).filter(([, ratio]) => ratio < 4.5);
      expect(low, `below 4.5 on ${background} (text ${text})`).toEqual([]);
    });
  }

  for (const scheme of ['light', 'dark']) {
    it(`reads every colour on every background, bold too, as ls's 34;42 and 30;42 (${scheme})`, async () => {
      // Every foreground on every background, each bold as well: 512 runs.
      const combos = COLOURS.flatMap((fg) =>
        COLOURS.flatMap((bg) => [
          { name: `${fg.name} on ${bg.name}`, sgr: `${30 + fg.offset};${40 + bg.offset}` },
          { name: `bold ${fg.name} on ${bg.name}`, sgr: `1;${30 + fg.offset};${40 + bg.offset}` },
        ]),
      );
      const events = threadEvents('th_ansi', [
        { kind: 'tool.call', callId: 'c1', tool: 'terminal', title: 'ls', input: { command: 'ls --color' } },
        {
          kind: 'tool.output',
          callId: 'c1',
          stream: 'stdout',
          data: combos.map((c) => `\u001b[${c.sgr}m${c.name}\u001b[0m`).join('\n'),
        },
        { kind: 'tool.result', callId: 'c1', ok: true, exitCode: 0, signal: null, durationMs: 5 },
      ]);
      const chat = await fixture<RcChat>(
        html`<rc-chat theme=${scheme} thread-id="th_ansi" .runtime=${readyRuntime} .events=${events}></rc-chat>`,
        { width: '900px', height: '1200px' },
      );
      const terminal = chat.shadowRoot!.querySelector<HTMLElement>('.terminal')!;
      const runs = [...terminal.querySelectorAll<HTMLElement>('span[class*="-bg"]')];
      expect(runs.map((run) => run.textContent)).toEqual(combos.map((c) => c.name));
      const low = runs
        .map((run) => {
          const style = getComputedStyle(run);
          return [run.textContent, contrast(style.color, style.backgroundColor)] as const;
        })
        .filter(([, ratio]) => ratio < 4.5);
      expect(low).toEqual([]);
    });
  }

  it('takes the colours from --rc-ansi-* custom properties', async () => {
    const events = threadEvents('th_ansi', [
      { kind: 'tool.call', callId: 'c1', tool: 'terminal', title: 'ls', input: { command: 'ls' } },
      { kind: 'tool.output', callId: 'c1', stream: 'stdout', data: '\u001b[01;34msrc\u001b[0m \u001b[42mok\u001b[0m' },
    ]);
    const chat = await fixture<RcChat>(
      html`<rc-chat
        style="--rc-ansi-blue: rgb(10, 20, 30); --rc-ansi-green: rgb(0, 200, 0); --rc-color-terminal-bg: rgb(0, 0, 0)"
        thread-id="th_ansi"
        .runtime=${readyRuntime}
        .events=${events}
      ></rc-chat>`,
    );
    const terminal = chat.shadowRoot!.querySelector<HTMLElement>('.terminal')!;
    expect(getComputedStyle(terminal.querySelector('.ansi-blue-fg')!).color).toBe('rgb(10, 20, 30)');
    // A background is the colour blended into the terminal's.
    const green = channels(getComputedStyle(terminal.querySelector('.ansi-green-bg')!).backgroundColor);
    expect(green.map(Math.round)).toEqual([0, 70, 0]);
  });
});

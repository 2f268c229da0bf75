// Seeded inputs for the fuzz suites: a generator that replays from its seed, values of every
// JSON type, and mutations of valid frames and bodies.

/** A small seeded PRNG (mulberry32), so a failing run can be replayed from its seed. */
export function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}

/** The generator `random` returns. */
export type Random = ReturnType<typeof random>;

/** Values of every JSON type, and some that break naive code. */
export function junk(r: Random, depth = 0, options: { large?: boolean } = {}): unknown {
  switch (r.int(depth > 2 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return r.pick([0, -1, 1.5, 2 ** 53, -(2 ** 31), Number.MAX_SAFE_INTEGER]);
    case 2:
      return r.pick([
        '',
        'x',
        '../../etc/passwd',
        '\u0000',
        '\u{1F600}',
        '<script>alert(1)</script>',
        'a'.repeat(r.int(5000)),
      ]);
    case 3:
      return r.next() < 0.5;
    case 4:
      return r.pick(['thread:', 'runtimes', 'thread:th_x', 'runtime-log:../x', '__proto__']);
    case 5:
      // Past a frame's or a body's size limit, unless only small values are wanted.
      return options.large === false ? 'x'.repeat(r.int(2000)) : 'x'.repeat(100_000 + r.int(100_000));
    case 6:
      return Array.from({ length: r.int(4) }, () => junk(r, depth + 1, options));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(5); i > 0; i--)
        o[r.pick(['type', 'topic', 'after', 'seq', 'message', 'kind', 'id', '__proto__', 'constructor'])] = junk(
          r,
          depth + 1,
          options,
        );
      return o;
    }
  }
}

/** Mutates a valid frame or body: drops, retypes or adds fields, or truncates its text. */
export function mutate(r: Random, valid: Record<string, unknown>, options: { large?: boolean } = {}): string {
  const frame: Record<string, unknown> = structuredClone(valid);
  const keys = Object.keys(frame);
  switch (r.int(6)) {
    case 0:
      delete frame[r.pick(keys)];
      break;
    case 1:
      frame[r.pick(keys)] = junk(r, 0, options);
      break;
    case 2:
      frame[r.pick(['extra', 'type', '__proto__'])] = junk(r, 0, options);
      break;
    case 3:
      frame.type = r.pick(['subscribe ', 'SUBSCRIBE', 'data', 'hello', 'ack', 'event', '']);
      break;
    case 4: {
      const text = JSON.stringify(frame);
      return text.slice(0, r.int(text.length));
    }
    default:
      return JSON.stringify(junk(r, 0, options));
  }
  return JSON.stringify(frame);
}

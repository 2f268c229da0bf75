// Shortcuts past zod for the values a link carries most: a runtime's streamed events (a model's
// text, a command's output, the agent's status) and the gateway's notifications.
//
// Why: every one of those is checked where it is made (the runtime checks its agents' events) and
// where it arrives (the BFF checks every frame of a runtime, which it does not trust). zod does
// that in about a microsecond once warm, but a chat streams a chunk every few tens of milliseconds
// and each one then finds the code cold: a zod parse of one frame measured about 50 µs more than
// JSON.parse alone after 80 ms idle, at each of the three checks on a chunk's way.
//
// The schemas stay the source of truth. A shortcut only ever says "certainly valid": it answers
// true when the value passes its schema and the schema would hand back an equal value (no key the
// schema would strip, none missing), and false for anything else, which the schema then decides.
// So a shortcut can make a check faster, never laxer; `shortcuts.test.ts` checks each against its
// schema with valid values and every mutation of them.
import type { z } from 'zod';

/** True when `value` certainly passes the schema unchanged; false: ask the schema. */
export type Shortcut = (value: unknown) => boolean;

const shortcuts = new WeakMap<z.ZodType, Shortcut>();

/** Gives `schema` a shortcut (see the top of this file); returns the schema. */
export function withShortcut<S extends z.ZodType>(schema: S, shortcut: Shortcut): S {
  shortcuts.set(schema, shortcut);
  return schema;
}

/** The shortcut of `schema`, if it has one. */
export function shortcutOf(schema: z.ZodType): Shortcut | undefined {
  return shortcuts.get(schema);
}

/** `schema.safeParse(value)`, by its shortcut when that answers (the value itself is the data). */
export function safeParseFast<T>(schema: z.ZodType<T>, value: unknown): z.ZodSafeParseResult<T> {
  if (shortcuts.get(schema)?.(value)) return { success: true, data: value as T };
  return schema.safeParse(value);
}

/** `schema.parse(value)`, by its shortcut when that answers. */
export function parseFast<T>(schema: z.ZodType<T>, value: unknown): T {
  if (shortcuts.get(schema)?.(value)) return value as T;
  return schema.parse(value);
}

// The pieces shortcuts are made of.

/** A plain object (what JSON.parse makes of `{…}`). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * How many enumerable keys `value` has. A shortcut checks every key its schema knows and then
 * that there are exactly that many: so there is none the schema would strip or refuse.
 */
export function keyCount(value: object): number {
  let count = 0;
  for (const _ in value) count++;
  return count;
}

/** A string of `min` to `max` UTF-16 units (what zod's `.min()` / `.max()` count), matching `pattern` if given. */
export function isText(value: unknown, min: number, max: number, pattern?: RegExp): value is string {
  return typeof value === 'string' && value.length >= min && value.length <= max && (!pattern || pattern.test(value));
}

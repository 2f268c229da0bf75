/// <reference types="vite/client" />
// The package entry is the public API: every event the elements (and the client) fire can be
// caught by its class from there, and the entry names its exports one by one.
import { describe, expect, it } from 'vitest';
import * as entry from './index.js';

const sources = import.meta.glob<string>(['./**/*.ts', '!./**/*.test.ts', '!./**/*.stories.ts', '!./fixtures/**'], {
  query: '?raw',
  import: 'default',
  eager: true,
});

/** The `Rc…Event` classes the code constructs (to dispatch them), by the file that does. */
function firedClasses(): Map<string, string> {
  const fired = new Map<string, string>();
  for (const [path, source] of Object.entries(sources)) {
    for (const match of source.matchAll(/\bnew (Rc\w+Event)\(/g)) fired.set(match[1]!, path);
  }
  return fired;
}

/** The `rc-*` event names the elements' JSDoc says they fire. */
function documentedEvents(): Set<string> {
  const names = new Set<string>();
  for (const [path, source] of Object.entries(sources)) {
    if (!path.startsWith('./elements/')) continue;
    for (const match of source.matchAll(/@fires (rc-[a-z-]+)/g)) names.add(match[1]!);
  }
  return names;
}

const exported = entry as unknown as Record<string, unknown>;

describe('the package entry', () => {
  it('finds the events in the sources', () => {
    // The scan itself works: it sees events of the chat, the composer and the client.
    const fired = firedClasses();
    expect(fired.get('RcAgentStopEvent')).toBe('./elements/chat/chat.ts');
    expect(fired.get('RcMessageSendEvent')).toBe('./elements/composer/composer.ts');
    expect(fired.has('RcConnectionChangeEvent')).toBe(true);
    expect(documentedEvents().has('rc-file-upload')).toBe(true);
  });

  it('exports the class of every event that is fired, as an Event with an rc- name', () => {
    const missing: string[] = [];
    for (const [name, path] of firedClasses()) {
      const cls = exported[name] as
        | ((abstract new (...args: never[]) => unknown) & { eventName?: unknown })
        | undefined;
      if (typeof cls !== 'function') {
        missing.push(`${name} (fired in ${path})`);
        continue;
      }
      expect(cls.prototype, name).toBeInstanceOf(Event);
      expect(cls.eventName, name).toMatch(/^rc-[a-z]+(-[a-z]+)+$/);
    }
    expect(missing).toEqual([]);
  });

  it('exports a class for every event the elements document with @fires', () => {
    const names = new Set(
      Object.values(exported)
        .map((value) => (value as { eventName?: unknown }).eventName)
        .filter((name): name is string => typeof name === 'string'),
    );
    expect([...documentedEvents()].filter((name) => !names.has(name))).toEqual([]);
  });

  it('names its exports one by one: no export *', () => {
    const index = sources['./index.ts']!;
    expect(index).toContain("export { RcChat } from './elements/chat/chat.js';");
    expect(index).not.toMatch(/export \*/);
  });
});

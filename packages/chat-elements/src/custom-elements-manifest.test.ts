// `npm run build` writes custom-elements.json from the elements' JSDoc; the package names it
// (`customElements`) and ships it, so that IDEs and Storybook know every tag and its events.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const src = join(packageDir, 'src');

interface Declaration {
  name: string;
  tagName?: string;
  customElement?: boolean;
  events?: Array<{ name?: string }>;
}

function readManifest(): { modules: Array<{ path: string; declarations?: Declaration[] }> } {
  try {
    return JSON.parse(readFileSync(join(packageDir, 'custom-elements.json'), 'utf8'));
  } catch (error) {
    throw new Error(`no custom-elements.json: run \`npm run build\` first (${String(error)})`);
  }
}

/** Every tag the package defines, from the elements' define.ts files. */
function definedTags(): Map<string, string> {
  const tags = new Map<string, string>();
  for (const folder of readdirSync(join(src, 'elements'), { withFileTypes: true })) {
    if (!folder.isDirectory()) continue;
    const define = readFileSync(join(src, 'elements', folder.name, 'define.ts'), 'utf8');
    for (const match of define.matchAll(/customElements\.define\('([a-z-]+)'/g)) tags.set(match[1]!, folder.name);
  }
  return tags;
}

/** The event name of every `Rc…Event` class in the sources. */
function eventNames(): Map<string, string> {
  const names = new Map<string, string>();
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(path, 'utf8');
        for (const match of source.matchAll(
          /class (Rc\w+Event) extends Event \{\s*static readonly eventName = '([a-z-]+)'/g,
        ))
          names.set(match[1]!, match[2]!);
      }
    }
  };
  visit(src);
  return names;
}

/** The events an element's own code fires: the `Rc…Event` classes its folder constructs. */
function firedBy(folder: string, names: Map<string, string>): string[] {
  const fired = new Set<string>();
  for (const file of readdirSync(join(src, 'elements', folder))) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts') || file.endsWith('.stories.ts')) continue;
    const source = readFileSync(join(src, 'elements', folder, file), 'utf8');
    for (const match of source.matchAll(/\bnew (Rc\w+Event)\(/g)) fired.add(names.get(match[1]!) ?? match[1]!);
  }
  return [...fired].sort();
}

describe('custom-elements.json', () => {
  it('is named in package.json and packed by npm pack', () => {
    const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
    expect(pkg.customElements).toBe('custom-elements.json');
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: packageDir, encoding: 'utf8' }),
    );
    const files = (packed.files as Array<{ path: string }>).map((f) => f.path);
    expect(files).toContain('custom-elements.json');
    expect(files).toContain('dist/index.js');
  });

  it('lists every element the package defines, with the events its code fires', () => {
    const manifest = readManifest();
    const elements = new Map<string, Declaration>();
    for (const mod of manifest.modules)
      for (const declaration of mod.declarations ?? [])
        if (declaration.tagName) elements.set(declaration.tagName, declaration);
    const tags = definedTags();
    expect([...tags.keys()]).toEqual(expect.arrayContaining(['rc-chat', 'rc-composer', 'remote-chat']));
    const names = eventNames();
    for (const [tag, folder] of tags) {
      const element = elements.get(tag);
      expect(element, `${tag} is not in custom-elements.json`).toBeDefined();
      const listed = (element!.events ?? []).map((e) => e.name);
      expect(listed, `${tag}'s events`).toEqual(expect.arrayContaining(firedBy(folder, names)));
    }
    // The composer's events reach the chat's listeners: the chat lists them too.
    const composed = firedBy('composer', names).filter((name) => name !== 'rc-pending-change');
    expect(elements.get('rc-chat')!.events!.map((e) => e.name)).toEqual(expect.arrayContaining(composed));
  });
});

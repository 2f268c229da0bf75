import { describe, expect, it } from 'vitest';
import { defaultRuntimeName } from './runtime-names.js';

describe('default runtime names', () => {
  it('names a runtime after its repository, numbered when the person has one of that name', () => {
    expect(defaultRuntimeName('octo/app', [])).toBe('app');
    expect(defaultRuntimeName('octo/app', ['app', 'app 2'])).toBe('app 3');
  });

  it('gives a runtime without a repository a short readable name none of the others has', () => {
    const taken: string[] = [];
    for (let i = 0; i < 200; i++) taken.push(defaultRuntimeName(null, taken));
    expect(new Set(taken).size).toBe(200);
    for (const name of taken) expect(name).toMatch(/^[a-z]+-[a-z]+(-\d+)?$/);
  });
});

import { LIMITS } from '@remote-chat/protocol';
import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'amber',
  'bold',
  'brisk',
  'calm',
  'clever',
  'cosy',
  'crisp',
  'dapper',
  'eager',
  'fair',
  'gentle',
  'glad',
  'golden',
  'hardy',
  'jolly',
  'keen',
  'kind',
  'lively',
  'lucky',
  'merry',
  'mellow',
  'nimble',
  'noble',
  'plucky',
  'proud',
  'quick',
  'quiet',
  'rapid',
  'shiny',
  'silver',
  'snug',
  'steady',
  'sunny',
  'swift',
  'tidy',
  'trusty',
  'vivid',
  'warm',
  'wise',
  'zesty',
] as const;

const NOUNS = [
  'badger',
  'beacon',
  'birch',
  'brook',
  'canyon',
  'cedar',
  'comet',
  'cove',
  'falcon',
  'fern',
  'finch',
  'fjord',
  'harbor',
  'heron',
  'island',
  'lark',
  'maple',
  'meadow',
  'otter',
  'owl',
  'panda',
  'pebble',
  'pine',
  'puffin',
  'quartz',
  'raven',
  'reef',
  'river',
  'robin',
  'sparrow',
  'spruce',
  'summit',
  'tern',
  'thistle',
  'tiger',
  'valley',
  'walrus',
  'willow',
  'wren',
  'yak',
] as const;

/** Picks one of a list at random. */
const pick = <T>(list: readonly T[]): T => list[randomInt(list.length)] as T;

/**
 * The name a new runtime gets when the person gave none: its repository's name (`octo/app` →
 * `app`), else a short readable one (`calm-otter`); either way one that none of the person's
 * other runtimes has (`app 2` for the second runtime of the same repository).
 */
export function defaultRuntimeName(repo: string | null, taken: readonly string[]): string {
  const names = new Set(taken);
  if (repo) {
    const base = (repo.split('/')[1] ?? repo).slice(0, LIMITS.maxRuntimeNameChars - 4);
    for (let n = 1; ; n++) {
      const name = n === 1 ? base : `${base} ${n}`;
      if (!names.has(name)) return name;
    }
  }
  // 1,600 pairs: a few tries find a free one; a person with most of them taken gets a number.
  for (let attempt = 0; attempt < 20; attempt++) {
    const name = `${pick(ADJECTIVES)}-${pick(NOUNS)}`;
    if (!names.has(name)) return name;
  }
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${randomInt(100, 1000)}`;
}

import type { SourcedItem } from './conversation.js';
import type { ModelRequest } from './model-client.js';

/** The context window assumed for a model whose configuration gives none. */
export const DEFAULT_CONTEXT_WINDOW = 128_000;

/**
 * Tokens a request will take, estimated without the model's tokenizer: a token is about four
 * characters of English or code; counting one for every 3.5 errs on the safe side.
 */
export function estimateTokens(request: Pick<ModelRequest, 'system' | 'items' | 'tools'>): number {
  const chars = request.system.length + JSON.stringify(request.items).length + JSON.stringify(request.tools).length;
  return Math.ceil(chars / 3.5);
}

/** Tokens a request may take in a window: room for the answer, and a margin for the estimate. */
export function inputBudget(contextWindow: number, maxOutputTokens: number): number {
  return Math.max(1_000, Math.floor((contextWindow - maxOutputTokens) * 0.85));
}

/**
 * Where to cut a conversation that does not fit: the index of the first item to keep, so that
 * what is kept takes at most `keepTokens` (everything before it gets summarised). A cut falls
 * before a user or an assistant item, never between a tool call and its result. Keeps at least
 * the newest such item; undefined when there is nothing older to summarise.
 */
export function cutPoint(items: readonly SourcedItem[], keepTokens: number): number | undefined {
  const cuts = items.flatMap(({ item }, index) => (index > 0 && item.role !== 'tool' ? [index] : []));
  if (cuts.length === 0) return undefined;
  // Characters from each item to the end.
  const after = new Array<number>(items.length + 1).fill(0);
  for (let index = items.length - 1; index >= 0; index--) {
    after[index] = (after[index + 1] ?? 0) + JSON.stringify(items[index]?.item).length;
  }
  return cuts.find((cut) => Math.ceil((after[cut] ?? 0) / 3.5) <= keepTokens) ?? cuts.at(-1);
}

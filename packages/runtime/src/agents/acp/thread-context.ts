import type { EventBody } from '@remote-chat/protocol';
import { conversationOf, transcriptOf } from '../llm/conversation.js';

/** The most of a thread's earlier turns a prompt carries: their end, where the recent turns are. */
export const MAX_CONTEXT_CHARS = 32_000;

/**
 * The prompt for an ACP session that has not seen all of the thread: `unseen`, the turns it has
 * not been told of (already without its own turns where the session remembers them), told
 * compactly as the llm agent tells other agents' turns, then the user's message. The message
 * alone when there is nothing to tell.
 */
export function promptWithContext(text: string, unseen: readonly EventBody[], agentLabel: string): string {
  const told = transcriptOf(conversationOf(unseen).map((sourced) => sourced.item));
  if (!told.trim()) return text;
  const kept =
    told.length > MAX_CONTEXT_CHARS
      ? `[… earlier turns left out …]\n${told.slice(told.length - MAX_CONTEXT_CHARS)}`
      : told;
  return [
    `This thread had turns that ${agentLabel} did not see in this session: the person talked to other agents, or to you before your session was lost. Here they are, for context only; do not act on them again.`,
    '<thread-so-far>',
    kept,
    '</thread-so-far>',
    '',
    "The person's message to you now:",
    text,
  ].join('\n');
}

/** The events of `history` without the turns (a user message and what followed it) answered by `agentId`. */
export function turnsNotBy(history: readonly EventBody[], agentId: string): EventBody[] {
  const kept: EventBody[] = [];
  let skipping = false;
  for (const event of history) {
    if (event.kind === 'message.user') skipping = event.agent === agentId;
    if (!skipping) kept.push(event);
  }
  return kept;
}

/** Where the last turn `agentId` answered starts in `history` (its user message); 0 if it answered none. */
export function lastTurnOf(history: readonly EventBody[], agentId: string): number {
  return Math.max(
    0,
    history.findLastIndex((event) => event.kind === 'message.user' && event.agent === agentId),
  );
}

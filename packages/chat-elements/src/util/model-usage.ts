import type { TokenUsage } from '@remote-chat/protocol';

const exact = new Intl.NumberFormat();
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

/** A token count to read at a glance: exact below 10,000 ("1,234"), compact above ("12.3K"). */
export function formatTokenCount(count: number): string {
  return (count < 10_000 ? exact : compact).format(count);
}

/** Input and output tokens at a glance: "1,234 in · 56 out". */
export function tokenSummary({ inputTokens, outputTokens }: TokenUsage): string {
  return `${formatTokenCount(inputTokens)} in · ${formatTokenCount(outputTokens)} out`;
}

/** Input and output tokens exactly, for a `title`: "12,345 input tokens, 56 output tokens". */
export function tokenDetail({ inputTokens, outputTokens }: TokenUsage): string {
  return `${exact.format(inputTokens)} input tokens, ${exact.format(outputTokens)} output tokens`;
}

/**
 * The name people know a configured model by: the label of its `llm:<id>` agent in
 * `GET /api/config`, or the id itself when the config does not list it (any more).
 */
export function modelLabel(agents: readonly { id: string; label: string }[], model: string): string {
  return agents.find((agent) => agent.id === `llm:${model}`)?.label ?? model;
}

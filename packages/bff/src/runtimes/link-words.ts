import { closeInWords } from '@remote-chat/link';

/**
 * Why a link went down, as the runtime log says it: the reason the other side gave, or what its
 * close code means ("runtime shutting down", not "closed by peer (4503: runtime shutting down)").
 * Anything else the link said passes as it is.
 */
export function plainLinkDetail(detail: string): string {
  // The link session says how a socket closed as "closed by peer (4503: runtime shutting down)".
  const closed = /^closed(?: by peer)? \((\d{4})(?:: (.*))?\)$/.exec(detail);
  if (!closed) return detail;
  return closeInWords(Number(closed[1]), closed[2]);
}

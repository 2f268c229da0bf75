/** What a link close code means, for a person reading a runtime's log. */
const CLOSE_WORDS: Record<number, string> = {
  1000: 'the connection was closed',
  1001: 'the other side is going away',
  1006: 'the connection dropped',
  4401: 'the credentials were refused',
  4403: 'the connection was refused',
  4406: 'the two sides run different versions',
  4408: 'no heartbeat arrived in time',
  4409: 'a newer connection took over',
  4413: 'a message was too large',
  4429: 'too many messages, too fast',
  4430: 'a side could not keep up; it resumes where it was',
  4440: 'the token was revoked or expired',
  4503: 'the other side is shutting down',
};

/**
 * Why a link went down, as the runtime log says it: the reason the other side gave, or what its
 * close code means ("runtime shutting down", not "closed by peer (4503: runtime shutting down)").
 * Anything else the link said passes as it is.
 */
export function plainLinkDetail(detail: string): string {
  // The link session says how a socket closed as "closed by peer (4503: runtime shutting down)".
  const closed = /^closed(?: by peer)? \((\d{4})(?:: (.*))?\)$/.exec(detail);
  if (!closed) return detail;
  return closed[2] || CLOSE_WORDS[Number(closed[1])] || 'the connection closed';
}

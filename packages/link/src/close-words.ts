/** What a link's close code means, for a person reading a log or a terminal. */
const CLOSE_WORDS: Readonly<Record<number, string>> = {
  1000: 'the connection was closed',
  1001: 'the other side is going away',
  1006: 'the connection dropped',
  1009: 'a message was too large',
  4400: 'too many messages that were not valid',
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
  4504: 'the server moved this connection elsewhere',
};

/**
 * Why a link closed, in words and without its code: the reason the other side gave ("runtime
 * shutting down"), else what the code means. Both ends show link closes with it: the BFF's
 * runtime log and `remote-chat-runtime connect`'s terminal.
 */
export function closeInWords(code: number, reason = ''): string {
  return reason || CLOSE_WORDS[code] || 'the connection closed';
}

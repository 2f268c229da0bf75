/** Titles longer than this are cut, with an ellipsis. */
const MAX_TITLE_CHARS = 60;

/**
 * The title an untitled thread gets from its first message: the message's first line, cut to 60
 * characters. The BFF titles threads with it; a stand-in BFF must title them alike.
 */
export function threadTitleFrom(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > MAX_TITLE_CHARS ? `${line.slice(0, MAX_TITLE_CHARS - 1)}…` : line || 'New thread';
}

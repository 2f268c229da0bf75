/** What `<remote-chat>` remembers across a reload of the tab. */
export interface RememberedSelection {
  runtimeId: string;
  threadId: string;
}

const EMPTY: RememberedSelection = { runtimeId: '', threadId: '' };

/**
 * Reads the selection remembered for this BFF in this tab. Session storage: a reload keeps it, a
 * new tab starts afresh, and nothing is left behind on a shared computer.
 */
export function loadSelection(key: string): RememberedSelection {
  try {
    const raw = sessionStorage.getItem(key);
    if (!raw) return EMPTY;
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return EMPTY;
    const runtimeId = 'runtimeId' in value && typeof value.runtimeId === 'string' ? value.runtimeId : '';
    const threadId = 'threadId' in value && typeof value.threadId === 'string' ? value.threadId : '';
    return { runtimeId, threadId };
  } catch {
    // Storage can be unavailable (a sandboxed frame, privacy settings): remember nothing.
    return EMPTY;
  }
}

export function saveSelection(key: string, selection: RememberedSelection): void {
  try {
    sessionStorage.setItem(key, JSON.stringify(selection));
  } catch {
    // As above: not remembering is fine.
  }
}

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

/** The query parameters a page's URL keeps the selection in, with `url-state`. */
export const URL_PARAMS = { runtime: 'runtime', thread: 'thread' } as const;

/** The selection the page's URL names; empty ids where it names none. */
export function selectionFromUrl(url: URL = new URL(location.href)): RememberedSelection {
  const id = (name: string) => {
    const value = url.searchParams.get(name) ?? '';
    // Ids are short and plain; anything else names nothing.
    return /^[A-Za-z0-9_-]{1,100}$/.test(value) ? value : '';
  };
  return { runtimeId: id(URL_PARAMS.runtime), threadId: id(URL_PARAMS.thread) };
}

/**
 * Puts the selection in the page's URL: a new history entry when the user chose it (`push`), else
 * the current entry replaced; nothing when the URL says it already. Other parameters stay.
 */
export function writeSelectionToUrl(selection: RememberedSelection, push: boolean): void {
  const url = new URL(location.href);
  for (const [name, value] of [
    [URL_PARAMS.runtime, selection.runtimeId],
    [URL_PARAMS.thread, selection.threadId],
  ] as const) {
    if (value) url.searchParams.set(name, value);
    else url.searchParams.delete(name);
  }
  if (url.href === location.href) return;
  if (push) history.pushState(history.state, '', url);
  else history.replaceState(history.state, '', url);
}

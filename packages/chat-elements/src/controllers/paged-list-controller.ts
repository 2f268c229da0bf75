import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** One page of a list, and the page after it (null at the end). */
export interface Page<T> {
  items: T[];
  nextPage: number | null;
}

/**
 * A list read a page at a time (GitHub's repositories, branches, issues): the pages fetched so
 * far, concatenated, and `more()` for the next. Only what was fetched is ever rendered, so a list
 * of thousands never stalls the page. `load(key)` starts over for another query; an answer for a
 * query that has been replaced is dropped (its request aborted).
 */
export class PagedListController<T> implements ReactiveController {
  items: T[] = [];
  /** The next page to ask for; null at the end (or before the first load). */
  nextPage: number | null = null;
  loading = false;
  /** The last load's failure, if it failed. */
  error: unknown = undefined;
  /** Whether the first page of the current query has arrived. */
  loaded = false;
  private key: string | undefined;
  private abort: AbortController | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly fetchPage: (key: string, page: number, signal: AbortSignal) => Promise<Page<T>>,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.abort?.abort();
    this.key = undefined;
  }

  /** Reads the first page for `key` (a query), unless it is the one already shown; `force` reads it again. */
  load(key: string, force = false): void {
    if (key === this.key && !force) return;
    this.key = key;
    this.items = [];
    this.nextPage = null;
    this.loaded = false;
    void this.fetch(1);
  }

  /** Reads the next page, if there is one and nothing is loading. */
  more(): void {
    if (this.loading || this.nextPage === null || this.key === undefined) return;
    void this.fetch(this.nextPage);
  }

  /** After a failure: the page that failed again. */
  retry(): void {
    if (this.key === undefined) return;
    if (!this.loaded) this.load(this.key, true);
    else this.more();
  }

  /** Forgets the list: the next `load` reads afresh. */
  reset(): void {
    this.abort?.abort();
    this.key = undefined;
    this.items = [];
    this.nextPage = null;
    this.loading = false;
    this.loaded = false;
    this.error = undefined;
  }

  private async fetch(page: number): Promise<void> {
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    const key = this.key!;
    this.loading = true;
    this.error = undefined;
    this.host.requestUpdate();
    try {
      const result = await this.fetchPage(key, page, abort.signal);
      if (abort.signal.aborted) return;
      this.items = page === 1 ? result.items : [...this.items, ...result.items];
      this.nextPage = result.nextPage;
      this.loaded = true;
    } catch (error) {
      if (abort.signal.aborted) return;
      this.error = error;
    }
    this.loading = false;
    this.host.requestUpdate();
  }
}

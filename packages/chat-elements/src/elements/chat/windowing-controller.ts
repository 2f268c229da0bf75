import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { ListWindow } from './windowing.js';

/** How close to the bottom (px) still counts as "at the bottom" for auto-scroll. */
const STICK_THRESHOLD = 48;

/** The rows of the list: their keys, and a height estimate for each until it is measured. */
export interface WindowRows {
  keys: readonly string[];
  estimates: readonly number[];
}

export interface WindowingOptions {
  /** The scrolling element. */
  scroller: () => HTMLElement | null;
  /** The element whose `.row[data-key]` children are the rendered rows. */
  list: () => HTMLElement | null;
}

/**
 * Puts only the rows near the viewport of a long scrolling list in the DOM (a {@link ListWindow}
 * with measured heights and two spacers), and keeps the scroll position where the reader wants
 * it: at the bottom, following new rows, until they scroll up; then on the row they are reading,
 * while rows above it change height, with a note that something new arrived below.
 *
 * The host calls `plan()` in `willUpdate`, renders `range` between spacers of `above` and
 * `below` pixels, and binds `onScroll` to the scroller; the controller measures the rows and
 * scrolls after each update.
 */
export class WindowingController implements ReactiveController {
  /** At the bottom, so new rows scroll into view. */
  stuck = true;
  /** New rows arrived below while the reader was scrolled up. */
  unseen = false;
  /** The rows [start, end) to render. */
  range = { start: 0, end: 0 };
  private readonly rows = new ListWindow();
  /** The keys of the rows, in order. */
  private keys: readonly string[] = [];
  /** What the rows were last set from: scrolling alone leaves them as they are. */
  private rowsFrom: readonly unknown[] | undefined;
  /** Rows were added or changed since the last render: new content may need scrolling to. */
  private grew = false;
  /** The row the reader is looking at, kept in place while rows above it change height. */
  private anchor: { key: string; offset: number } | undefined;
  private observed: HTMLElement | undefined;
  /** The scroller's height when it was last scrolled to place. */
  private viewportHeight = 0;
  private readonly resizes =
    typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver(this.onResize.bind(this));

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: WindowingOptions,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    // Back on the page after a move: watch the rows again (the first render does it otherwise).
    this.observe();
  }

  hostDisconnected(): void {
    this.resizes?.disconnect();
    this.observed = undefined;
  }

  hostUpdated(): void {
    if (!this.observed) this.observe();
    const scroller = this.options.scroller();
    if (!scroller) return;
    // Rows rendered taller or shorter than their estimate move the spacers: the update that
    // follows (before this frame is painted) puts them right.
    if (this.measure(false)) queueMicrotask(() => this.host.requestUpdate());
    this.viewportHeight = scroller.clientHeight;
    if (this.stuck) scroller.scrollTop = scroller.scrollHeight;
    else if (this.anchor) {
      const index = this.rows.indexOf(this.anchor.key);
      if (index >= 0) {
        const target = this.rows.top(index) + this.anchor.offset;
        if (Math.abs(scroller.scrollTop - target) > 1) scroller.scrollTop = target;
      }
    }
    this.grew = false;
  }

  /** Rows were added or changed: the next render follows them if the reader is at the bottom. */
  rowsChanged(): void {
    this.grew = true;
  }

  /** Back to the bottom, following new rows, for the next render (another list, say). */
  reset(): void {
    this.stuck = true;
    this.unseen = false;
  }

  /** Follows the bottom again and scrolls there on the next render (the reader added a row). */
  stick(): void {
    this.stuck = true;
    this.grew = true;
    this.host.requestUpdate();
  }

  /**
   * Sets the rows (from `rows()`, only when something in `from` changed since they were last
   * set), picks the rows to render, and remembers which one the reader is looking at. Call it in
   * the host's `willUpdate`.
   */
  plan(from: readonly unknown[], rows: () => WindowRows): void {
    if (!this.rowsFrom || from.length !== this.rowsFrom.length || from.some((v, i) => v !== this.rowsFrom![i])) {
      this.rowsFrom = from;
      const { keys, estimates } = rows();
      this.keys = keys;
      this.rows.setRows(keys, estimates);
    }
    if (this.grew && !this.stuck) this.unseen = true;
    const scroller = this.options.scroller();
    const height = scroller?.clientHeight || 800;
    if (this.stuck || !scroller) {
      this.anchor = undefined;
      this.range = this.rows.rangeAtEnd(height);
      return;
    }
    const top = scroller.scrollTop;
    const index = this.rows.indexAt(top);
    const key = this.keys[index];
    this.anchor = key === undefined ? undefined : { key, offset: top - this.rows.top(index) };
    this.range = this.rows.range(top, height);
  }

  /** The height of the rows above the rendered ones, for the spacer that stands in for them. */
  get above(): number {
    return this.rows.top(this.range.start);
  }

  /** The height of the rows below the rendered ones. */
  get below(): number {
    return Math.max(0, this.rows.totalHeight - this.rows.top(this.range.end));
  }

  /** Scrolls to the bottom and follows new rows again. */
  jumpToEnd(): void {
    this.stuck = true;
    this.unseen = false;
    const scroller = this.options.scroller();
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
    this.host.requestUpdate();
  }

  /** Bind to the scroller's `scroll` event. */
  readonly onScroll = (): void => {
    const el = this.options.scroller();
    if (!el) return;
    const stuck = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_THRESHOLD;
    let changed = false;
    if (stuck !== this.stuck) {
      this.stuck = stuck;
      changed = true;
    }
    if (stuck && this.unseen) {
      this.unseen = false;
      changed = true;
    }
    const next = stuck ? this.rows.rangeAtEnd(el.clientHeight) : this.rows.range(el.scrollTop, el.clientHeight);
    // Re-render only when the window has to move: the overscan covers small scrolls.
    if (
      changed ||
      next.start < this.range.start ||
      next.end > this.range.end ||
      next.start > this.range.start + 8 ||
      next.end < this.range.end - 8
    ) {
      this.host.requestUpdate();
    }
  };

  /**
   * Rows that change height after rendering (a card opened, a font loaded, a message streaming)
   * move the rows below them; watching the list catches all of them. The scroller is watched too:
   * it gets shorter when what is below it grows (a composer with more lines, say).
   */
  private observe(): void {
    const list = this.options.list();
    const scroller = this.options.scroller();
    if (!list || !scroller || !this.resizes) return;
    this.resizes.observe(list);
    this.resizes.observe(scroller);
    this.observed = list;
  }

  private onResize(entries: ResizeObserverEntry[]): void {
    const scroller = this.options.scroller();
    const resized = Boolean(
      scroller && entries.some((entry) => entry.target === scroller) && scroller.clientHeight !== this.viewportHeight,
    );
    // A shorter viewport at the bottom stays at the bottom, in this frame: scrolling changes no size.
    if (resized && scroller && this.stuck) scroller.scrollTop = scroller.scrollHeight;
    // A size change after rendering is measured in the next frame: measuring (and re-rendering)
    // inside the observer's callback would make the browser report a ResizeObserver loop.
    requestAnimationFrame(() => {
      if (!this.measure() && resized) this.host.requestUpdate();
    });
  }

  /** Records the rendered rows' heights; returns whether any changed (and updates, unless told not to). */
  private measure(update = true): boolean {
    const list = this.options.list();
    if (!list) return false;
    let changed = false;
    for (const row of list.querySelectorAll<HTMLElement>(':scope > .row')) {
      const key = row.dataset['key'];
      if (key !== undefined && this.rows.measure(key, row.offsetHeight)) changed = true;
    }
    if (changed && update) this.host.requestUpdate();
    return changed;
  }
}

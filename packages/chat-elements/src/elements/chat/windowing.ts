/**
 * Which rows of a long list to put in the DOM: those in or near the viewport. Row heights are
 * measured once rendered and estimated until then; the rows above and below the window are
 * stood in for by two spacers of their summed height. A 10,000-event thread keeps a few dozen
 * rows in the DOM.
 */
export class ListWindow {
  /** Pixels rendered above and below the viewport, so that a flick does not show blank space. */
  overscan = 500;
  private keys: readonly string[] = [];
  private positions: Map<string, number> | undefined;
  private estimates: readonly number[] = [];
  private readonly measured = new Map<string, number>();
  /** offsets[i] is the top of row i; offsets[n] is the total height. */
  private offsets = new Float64Array(1);
  private dirty = true;

  /** Sets the rows: their keys, and a height estimate for each not measured yet. */
  setRows(keys: readonly string[], estimates: readonly number[]): void {
    this.keys = keys;
    this.estimates = estimates;
    this.positions = undefined;
    this.dirty = true;
  }

  /** The index of the row with this key, or -1. */
  indexOf(key: string): number {
    this.positions ??= new Map(this.keys.map((k, i) => [k, i]));
    return this.positions.get(key) ?? -1;
  }

  /** Records a rendered row's height; returns whether it changed. */
  measure(key: string, height: number): boolean {
    if (Math.abs((this.measured.get(key) ?? -1) - height) < 0.5) return false;
    this.measured.set(key, height);
    this.dirty = true;
    return true;
  }

  private layout(): Float64Array {
    if (!this.dirty) return this.offsets;
    const n = this.keys.length;
    const offsets = new Float64Array(n + 1);
    for (let i = 0; i < n; i++)
      offsets[i + 1] = offsets[i]! + (this.measured.get(this.keys[i]!) ?? this.estimates[i] ?? 80);
    this.offsets = offsets;
    this.dirty = false;
    return offsets;
  }

  /** The top of row `index` (or the total height for `count`). */
  top(index: number): number {
    const offsets = this.layout();
    return offsets[Math.max(0, Math.min(index, this.keys.length))]!;
  }

  get totalHeight(): number {
    return this.top(this.keys.length);
  }

  /** The row at a distance from the top of the list. */
  indexAt(y: number): number {
    const offsets = this.layout();
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (offsets[mid]! <= y) lo = mid;
      else hi = mid - 1;
    }
    return Math.max(0, lo);
  }

  /** The rows [start, end) to render for a viewport at `scrollTop`, `height` tall. */
  range(scrollTop: number, height: number): { start: number; end: number } {
    const n = this.keys.length;
    if (n === 0) return { start: 0, end: 0 };
    const start = this.indexAt(Math.max(0, scrollTop - this.overscan));
    const last = this.indexAt(scrollTop + height + this.overscan);
    return { start, end: Math.min(n, last + 1) };
  }

  /** The rows to render to show the end of the list. */
  rangeAtEnd(height: number): { start: number; end: number } {
    const total = this.totalHeight;
    return this.range(Math.max(0, total - height), height);
  }
}

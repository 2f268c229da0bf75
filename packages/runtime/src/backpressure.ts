/**
 * Where back-pressure comes from: something that can fall behind (the link's outbox) and says
 * so. `LinkSession` is one.
 */
export interface PressureSource {
  /** True while the consumer is behind: producers should stop taking in more until it turns false. */
  readonly pressure: boolean;
  /** Hears every change of `pressure`; returns an unsubscribe function. */
  onPressure(listener: (pressure: boolean) => void): () => void;
}

/**
 * What an agent sees of the link's back-pressure. While `paused`, an agent should stop producing
 * more than it must (the shell agent stops reading its command's output, so the command blocks on
 * its next write as in a terminal nobody reads). Events emitted anyway are never lost: the outbox
 * keeps room for them above its pause threshold, and past its hard limit they wait in memory.
 */
export interface Backpressure {
  /** Whether producers should hold back now. */
  readonly paused: boolean;
  /** Hears every change of `paused`; returns an unsubscribe function. */
  onChange(listener: (paused: boolean) => void): () => void;
  /** Resolves at once when not paused, otherwise once the link has drained; also when `signal` aborts. */
  ready(signal?: AbortSignal): Promise<void>;
}

/** Never paused: for a host without a link (tests, embedding) or a source that cannot fall behind. */
export const NO_BACKPRESSURE: Backpressure = Object.freeze({
  paused: false,
  onChange: () => () => {},
  ready: () => Promise.resolve(),
});

/** The Backpressure view of a PressureSource. */
export function backpressureOf(source: PressureSource | undefined): Backpressure {
  if (!source) return NO_BACKPRESSURE;
  return {
    get paused() {
      return source.pressure;
    },
    onChange: (listener) => source.onPressure(listener),
    ready: (signal) =>
      new Promise<void>((resolve) => {
        if (!source.pressure || signal?.aborted) {
          resolve();
          return;
        }
        const done = (): void => {
          unsubscribe();
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const unsubscribe = source.onPressure((pressure) => {
          if (!pressure) done();
        });
        signal?.addEventListener('abort', done, { once: true });
      }),
  };
}

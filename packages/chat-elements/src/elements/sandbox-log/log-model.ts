import { LIFECYCLE_STEPS, RUNTIME_STEPS, type LogEntry, type RuntimeStep, type StepState } from '@remote-chat/protocol';

type LifecycleStep = (typeof LIFECYCLE_STEPS)[number];

/** A step as shown: what the log said last about it, or `pending` / `not-run` if nothing. */
export interface StepView {
  step: RuntimeStep;
  state: StepState | 'pending' | 'not-run';
  /** When it started, for a running clock. */
  startedAt?: string;
  durationMs?: number;
  detail?: string;
}

export type ErrorEntry = Extract<LogEntry, { kind: 'error' }>;
/** A connection or status change, or a pause or resume that ended (with its duration). */
export type NoteEntry = Extract<LogEntry, { kind: 'link' | 'status' }> | LifecycleEntry;
export type LifecycleEntry = Extract<LogEntry, { kind: 'step' }> & { step: LifecycleStep };

const isLifecycle = (entry: Extract<LogEntry, { kind: 'step' }>): entry is LifecycleEntry =>
  (LIFECYCLE_STEPS as readonly string[]).includes(entry.step);

export interface LogView {
  steps: StepView[];
  errors: ErrorEntry[];
  /** Connection and status changes, oldest first. */
  notes: NoteEntry[];
  /** The step running now, if any. */
  running: StepView | undefined;
}

export const STEP_LABELS: Record<RuntimeStep, string> = {
  create: 'Create',
  clone: 'Clone repository',
  install: 'Install runtime',
  settings: 'Write settings',
  start: 'Start runtime',
  ready: 'Ready',
  pause: 'Pause',
  resume: 'Resume',
};

/** Folds log entries (in seq order) into what the sandbox log shows. */
export function foldLog(entries: readonly LogEntry[]): LogView {
  const steps = new Map<RuntimeStep, StepView>();
  const errors: ErrorEntry[] = [];
  const notes: NoteEntry[] = [];
  let ended = false;
  for (const entry of entries) {
    switch (entry.kind) {
      case 'step': {
        if (isLifecycle(entry)) {
          if (entry.state !== 'started') notes.push(entry);
          break;
        }
        const previous = steps.get(entry.step);
        const view: StepView = { step: entry.step, state: entry.state };
        const startedAt = entry.state === 'started' ? entry.at : previous?.startedAt;
        if (startedAt) view.startedAt = startedAt;
        if (entry.durationMs !== undefined) view.durationMs = entry.durationMs;
        const detail = entry.detail ?? previous?.detail;
        if (detail) view.detail = detail;
        steps.set(entry.step, view);
        if (entry.state === 'failed') ended = true;
        break;
      }
      case 'error':
        errors.push(entry);
        break;
      case 'status':
        notes.push(entry);
        ended = entry.status === 'failed' || entry.status === 'stopped';
        break;
      case 'link':
        notes.push(entry);
        break;
    }
  }
  const views = RUNTIME_STEPS.map(
    (step): StepView => steps.get(step) ?? { step, state: ended ? 'not-run' : 'pending' },
  );
  return { steps: views, errors, notes, running: views.find((s) => s.state === 'started') };
}

/** A link entry in plain words: "Connected", "Reconnecting", "Disconnected: runtime shutting down". */
export function linkNoteText(note: Extract<LogEntry, { kind: 'link' }>): string {
  const what = { open: 'Connected', connecting: 'Connecting', resuming: 'Reconnecting', offline: 'Disconnected' }[
    note.state
  ];
  // The BFF writes the detail in plain words (see its link-words.ts).
  return note.detail ? `${what}: ${note.detail}` : what;
}

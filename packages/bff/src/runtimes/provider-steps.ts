import type { RuntimeStep } from '@remote-chat/protocol';
import type { EntryWriter } from '../entry-writer.js';
import { errorMessage } from '../errors.js';
import type { AgentSettings, ProvisionContext, StepOutcome } from '../providers/provider.js';
import type { RuntimeRecord, Store } from '../store/store.js';

/** The longest step detail kept in the runtime log. */
const MAX_DETAIL_CHARS = 16_000;

export interface ProvisionContextOptions {
  store: Store;
  writer: EntryWriter;
  /** The credential the runtime must accept on its link. */
  token: string;
  /** Aborted when the runtime is deleted or the BFF closes; no step starts after that. */
  signal: AbortSignal;
  /** Settings every sandbox runtime gets from the configuration. */
  agentSettings: AgentSettings;
}

/**
 * What a provider gets while it makes or restarts a runtime: the runtime's settings, a place for
 * its private state, and `step`, which runs one step and writes it to the runtime log. Every step
 * from `create` to `ready` goes through here; nothing else writes a step entry.
 */
export function provisionContext(record: RuntimeRecord, options: ProvisionContextOptions): ProvisionContext {
  const { store, writer, signal } = options;
  return {
    runtimeId: record.id,
    token: options.token,
    repo: record.repo,
    branch: record.branch,
    agent: record.agent,
    agentSettings: options.agentSettings,
    signal,
    saveState: async (state) => {
      const updated = await store.updateRuntime(record.id, { providerState: state });
      if (updated) record.providerState = updated.providerState;
    },
    step: (step, work) => runStep(writer, record.id, signal, step, work),
  };
}

/** Runs one step: `started`, then `ok` / `skipped` / `failed` with its duration and detail. */
async function runStep(
  writer: EntryWriter,
  runtimeId: string,
  signal: AbortSignal,
  step: RuntimeStep,
  work: () => Promise<StepOutcome>,
): Promise<void> {
  if (signal.aborted) throw new Error('cancelled');
  const started = performance.now();
  await writer.appendLog(runtimeId, { kind: 'step', step, state: 'started' });
  try {
    const outcome = await work();
    const durationMs = Math.round(performance.now() - started);
    if (outcome && 'skipped' in outcome) {
      await writer.appendLog(runtimeId, { kind: 'step', step, state: 'skipped', durationMs, detail: outcome.skipped });
    } else {
      await writer.appendLog(runtimeId, {
        kind: 'step',
        step,
        state: 'ok',
        durationMs,
        ...(outcome?.detail !== undefined && { detail: outcome.detail.slice(0, MAX_DETAIL_CHARS) }),
      });
    }
  } catch (error) {
    const durationMs = Math.round(performance.now() - started);
    await writer.appendLog(runtimeId, {
      kind: 'step',
      step,
      state: 'failed',
      durationMs,
      detail: errorMessage(error).slice(0, MAX_DETAIL_CHARS),
    });
    throw error;
  }
}

import { z } from 'zod';
import { AcpAgentListSchema, AgentIdSchema } from '@remote-chat/protocol';
import { loadJsonFile } from './json-file.js';

/** The runtime's settings file (`--settings FILE`, JSON). Unknown keys are ignored for forward compatibility. */
export const RuntimeSettingsSchema = z.object({
  /** The agent listed first, for messages that do not name one the runtime has. */
  agent: AgentIdSchema.default('shell'),
  /** A command is stopped after this long. */
  commandTimeoutMs: z
    .number()
    .int()
    .positive()
    .max(24 * 60 * 60 * 1000)
    .default(600_000),
  /** Model calls the `llm` agent may make for one message before it stops and says so. */
  llmMaxSteps: z.number().int().positive().max(1_000).default(50),
  /** ACP agents this runtime may start; it offers those whose command it finds on PATH. */
  acpAgents: AcpAgentListSchema.default([]),
  /** An agent's permission request left unanswered this long is denied, and the thread says so. */
  permissionTimeoutMs: z.number().int().positive().max(86_400_000).default(300_000),
  /**
   * An ACP agent's process (one per thread) is stopped after this long without a turn; the next
   * message starts it again, resuming its session where the agent can, else telling it the thread.
   */
  acpIdleMs: z.number().int().positive().max(86_400_000).default(600_000),
  /** At most this many ACP agent processes run at once; the longest idle is stopped for a new one. */
  acpMaxProcesses: z.number().int().positive().max(64).default(4),
});
export type RuntimeSettings = z.infer<typeof RuntimeSettingsSchema>;

/** The settings when no file is given. */
export const DEFAULT_SETTINGS: RuntimeSettings = RuntimeSettingsSchema.parse({});

/** Reads and validates a settings file; throws a RuntimeStartError that says what is wrong. */
export async function loadSettings(file: string | undefined): Promise<RuntimeSettings> {
  if (file === undefined) return DEFAULT_SETTINGS;
  return loadJsonFile(file, RuntimeSettingsSchema, 'settings file');
}

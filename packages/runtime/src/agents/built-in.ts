import type { ModelAccessKind } from '@remote-chat/protocol';
import type { Agent } from './agent.js';
import { acpAgents } from './acp/acp-agent.js';
import { LlmAgent } from './llm/llm-agent.js';
import { ShellAgent } from './shell.js';
import type { CommandTracker } from '../tools/leftover-commands.js';
import type { RuntimeSettings } from '../settings.js';

/** The agents every runtime hosts: `shell` and `llm` (whose `llm:<model id>` ids pick a model). */
export function builtInAgents(
  workspace: string,
  settings: RuntimeSettings,
  commands: CommandTracker,
  modelAccess: ModelAccessKind = 'gateway',
): Agent[] {
  const { commandTimeoutMs } = settings;
  return [
    new ShellAgent({ workspace, commandTimeoutMs, commands }),
    new LlmAgent({ workspace, commandTimeoutMs, commands, maxSteps: settings.llmMaxSteps, modelAccess }),
  ];
}

/**
 * Every agent a runtime hosts: its own, then the configured ACP agents whose command it finds.
 * `stateDir` keeps each thread's ACP session for a restart.
 */
export function runtimeAgents(
  workspace: string,
  settings: RuntimeSettings,
  commands: CommandTracker,
  options: {
    stateDir: string;
    log: (line: string) => void;
    /** The runtime calls the person's own models (`--own-models`) rather than the BFF's. @default false */
    ownModels?: boolean;
    /** It runs on a person's machine (`connect`), where an ACP agent may use its own login (`ownLogin`). @default false */
    machine?: boolean;
  },
): Agent[] {
  return [
    ...builtInAgents(workspace, settings, commands, options.ownModels ? 'own' : 'gateway'),
    ...acpAgents(settings.acpAgents, {
      ownModels: options.ownModels ?? false,
      machine: options.machine ?? false,
      workspace,
      commandTimeoutMs: settings.commandTimeoutMs,
      idleMs: settings.acpIdleMs,
      maxProcesses: settings.acpMaxProcesses,
      commands,
      stateDir: options.stateDir,
      log: options.log,
    }),
  ];
}

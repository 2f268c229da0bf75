import type { Agent } from './agent.js';
import { acpAgents } from './acp/acp-agent.js';
import { LlmAgent } from './llm/llm-agent.js';
import { ShellAgent } from './shell.js';
import type { CommandTracker } from '../tools/leftover-commands.js';
import type { RuntimeSettings } from '../settings.js';

/** The agents every runtime hosts: `shell` and `llm` (whose `llm:<model id>` ids pick a model). */
export function builtInAgents(workspace: string, settings: RuntimeSettings, commands: CommandTracker): Agent[] {
  const { commandTimeoutMs } = settings;
  return [
    new ShellAgent({ workspace, commandTimeoutMs, commands }),
    new LlmAgent({ workspace, commandTimeoutMs, commands, maxSteps: settings.llmMaxSteps }),
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
  options: { stateDir: string; log: (line: string) => void },
): Agent[] {
  return [
    ...builtInAgents(workspace, settings, commands),
    ...acpAgents(settings.acpAgents, {
      workspace,
      commandTimeoutMs: settings.commandTimeoutMs,
      commands,
      stateDir: options.stateDir,
      log: options.log,
    }),
  ];
}

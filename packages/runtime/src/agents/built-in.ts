import type { Agent } from './agent.js';
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

import type { Runtime, RuntimeAgent } from '@remote-chat/protocol';
import type { AgentInfo } from './composer.js';

/**
 * The agents the picker offers on a runtime: those it reported it can run (`Runtime.agents`), in
 * its order, each under the label and description the BFF's config gives it where it has one;
 * `llm` stands for the config's models (`llm` and each `llm:<model id>`). An agent that calls the
 * person's own models or login rather than the BFF's says so. Where the runtime has not reported
 * (or is older than that), the config's list. Then the thread's own self-run agents (connected
 * with a thread token), unless the runtime has an agent of that id.
 */
export function agentChoices(
  config: readonly AgentInfo[],
  runtime: Runtime | undefined,
  threadAgents: readonly RuntimeAgent[] = [],
): AgentInfo[] {
  const choices = runtimeChoices(config, runtime);
  for (const agent of threadAgents)
    if (!choices.some((choice) => choice.id === agent.id))
      choices.push({
        ...describe(agent.id, agent.label, 'external'),
        description: `${agent.label}, your own agent answering this thread.`,
      });
  return choices;
}

function runtimeChoices(config: readonly AgentInfo[], runtime: Runtime | undefined): AgentInfo[] {
  const reported = runtime?.agents ?? [];
  if (reported.length === 0) return [...config];
  const configured = new Map(config.map((agent) => [agent.id, agent]));
  const choices: AgentInfo[] = [];
  for (const agent of reported) {
    const own = agent.modelAccess === 'own';
    if (agent.id === 'llm' && !own) {
      const models = config.filter((a) => a.id === 'llm' || a.id.startsWith('llm:'));
      choices.push(...(models.length ? models : [describe(agent.id, agent.label, agent.kind)]));
      continue;
    }
    const known = configured.get(agent.id);
    const choice = known ?? describe(agent.id, agent.label, agent.kind);
    choices.push(own ? ownLogin(choice, agent.id === 'llm') : choice);
  }
  return choices;
}

function describe(id: string, label: string, kind: AgentInfo['kind']): AgentInfo {
  const description =
    kind === 'acp'
      ? `${label}, over the Agent Client Protocol.`
      : kind === 'external'
        ? `${label}, a process of its own.`
        : label;
  return { id, label: label || id, description, ...(kind && { kind }) };
}

/** The choice, saying it calls the person's own models (`--own-models`) or its own login, not the server's. */
function ownLogin(choice: AgentInfo, models: boolean): AgentInfo {
  const what = models ? 'your own models' : 'your own login';
  return {
    ...choice,
    label: `${choice.label} (${what})`,
    description: `${choice.description} Uses ${what} on this machine, not the server's models.`,
  };
}

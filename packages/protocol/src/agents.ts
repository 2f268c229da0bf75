import { z } from 'zod';
import { AGENT_KINDS, MODEL_ACCESS } from './constants.js';
import { AgentIdSchema } from './events.js';

export { AGENT_KINDS, MODEL_ACCESS } from './constants.js';

/** Ids the runtime's own agents answer to; an ACP agent may not take them. */
export const BUILT_IN_AGENT_IDS = ['shell', 'llm'] as const;

/** An environment variable's name. */
const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/**
 * An agent a runtime starts over the Agent Client Protocol (JSON-RPC over the command's stdin and
 * stdout): in the BFF's config file (`acpAgents`) or `REMOTE_CHAT_ACP_AGENTS`, sent to sandbox
 * runtimes in their settings; in the `connect` config file on a person's machine.
 *
 * @example { "id": "claude", "label": "Claude Code", "command": "claude-code-acp" }
 */
export const AcpAgentConfigSchema = z.strictObject({
  /** The agent id messages name. Not `shell` or `llm`, and no `:` (which picks an llm model). */
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_.-]+$/, 'may hold only letters, digits, _ . and -')
    .refine((id) => !(BUILT_IN_AGENT_IDS as readonly string[]).includes(id), 'is the id of a built-in agent'),
  /** Shown in the picker. @default the id */
  label: z.string().min(1).max(200).optional(),
  /** The program: a name looked up on PATH, or a path. */
  command: z.string().min(1).max(4096),
  /** @default [] */
  args: z.array(z.string().max(4096)).max(100).default([]),
  /**
   * Added to the agent's environment, after the runtime's model endpoint variables (so they may
   * override them). Sent to sandboxes as they are: put no secret here. @default {}
   */
  env: z.record(EnvNameSchema, z.string().max(32_768)).default({}),
  /**
   * On a person's machine (`connect`): start the agent with the machine's own environment and
   * without the runtime's model endpoint variables, so that it uses its own login or key (Claude
   * Code's, say) rather than the BFF's models. Ignored in a sandbox, whose agents always call
   * through the endpoint. @default false
   */
  ownLogin: z.boolean().optional(),
});
export type AcpAgentConfig = z.infer<typeof AcpAgentConfigSchema>;

/** A list of ACP agents whose ids are unique. */
export const AcpAgentListSchema = z
  .array(AcpAgentConfigSchema)
  .max(50)
  .superRefine((agents, context) => {
    const seen = new Set<string>();
    for (const [index, agent] of agents.entries()) {
      if (seen.has(agent.id))
        context.addIssue({ code: 'custom', path: [index, 'id'], message: `"${agent.id}" is used by an earlier agent` });
      seen.add(agent.id);
    }
  });

/** What kind of agent it is: the runtime's own, an ACP command, or a process on the agent endpoint. */
export const AgentKindSchema = z.enum(AGENT_KINDS);
export type AgentKind = z.infer<typeof AgentKindSchema>;

/** Whose models an agent calls. */
export const ModelAccessSchema = z.enum(MODEL_ACCESS);
export type ModelAccessKind = z.infer<typeof ModelAccessSchema>;

/** An agent a runtime can run, as it reports it in `runtime.info` (and the public `Runtime` shows). */
export const RuntimeAgentSchema = z.object({
  id: AgentIdSchema,
  label: z.string().max(200),
  /** Absent from runtimes older than ACP hosting. */
  kind: AgentKindSchema.optional(),
  /**
   * Whose models it calls: `gateway` (the BFF's, through the runtime's keyless endpoint) or `own`
   * (the person's own login or key, on their machine). Absent for agents that call no model
   * (`shell`) and from older runtimes.
   */
  modelAccess: ModelAccessSchema.optional(),
});
export type RuntimeAgent = z.infer<typeof RuntimeAgentSchema>;

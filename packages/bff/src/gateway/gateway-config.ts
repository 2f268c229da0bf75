import { readFileSync } from 'node:fs';
import {
  AcpAgentListSchema,
  CapabilitySchema,
  ModelApiSchema,
  ModelIdSchema,
  type AcpAgentConfig,
  type ModelInfo,
} from '@remote-chat/protocol';
import { z } from 'zod';

/** What the BFF does with a capability a runtime asks for: answer it (`proxy`) or leave it to the runtime (`local`). */
export const CAPABILITY_POLICIES = ['proxy', 'local'] as const;
export type CapabilityPolicy = (typeof CAPABILITY_POLICIES)[number];

/** A model as the BFF calls it. Only `ModelInfo` (id, label, api, context window) ever leaves the BFF. */
export interface ModelConfig extends ModelInfo {
  /** The official client's base URL: `https://api.openai.com/v1`, `https://api.anthropic.com`, `http://localhost:11434/v1`. */
  baseUrl: string;
  /** The upstream key; undefined for a server that takes none (a local Ollama or vLLM). */
  apiKey: string | undefined;
  /** The upstream's model name, put into each request body. */
  model: string;
}

/** The execution gateway's settings; `RemoteChatOptions.gateway`. */
export interface GatewayConfig {
  /** The models, the first answering the agent id `llm`. @default none: no `llm` agent */
  models: ModelConfig[];
  /** Per capability; a capability not listed is refused with `not_allowed`. @default `{ inference: 'proxy' }` when a model is configured */
  capabilities: Record<string, CapabilityPolicy>;
  /** Input plus output tokens a user may spend per UTC day. @default no budget */
  dailyTokens?: number;
  /** A request is ended with `timeout` after this long. @default 600_000 */
  timeoutMs: number;
  /** Requests one user may have in flight at once. @default 8 */
  maxConcurrent: number;
  /** Requests one user may start per minute (a token bucket with this burst). @default 120 */
  requestsPerMinute: number;
}

/** Where an official client sends requests unless a model names another base URL. */
export const DEFAULT_BASE_URLS = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
} as const;

const HttpUrlSchema = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//.test(value), 'must be an http:// or https:// URL');

const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/** One model in the config file. */
export const ModelEntrySchema = z
  .strictObject({
    /** What `llm:<id>` and a request's `model` name. */
    id: ModelIdSchema,
    /** Shown in the agent picker. @default the id */
    label: z.string().min(1).max(200).optional(),
    /** @default 'openai' */
    api: ModelApiSchema.default('openai'),
    /** @default the API's official endpoint */
    baseUrl: HttpUrlSchema.optional(),
    /** The key itself; prefer `apiKeyEnv` so the file holds no secret. */
    apiKey: z.string().min(1).optional(),
    /** The environment variable that holds the key. */
    apiKeyEnv: EnvNameSchema.optional(),
    /** The upstream's model name. */
    model: z.string().min(1).max(200),
    contextWindow: z.number().int().positive().optional(),
  })
  .refine((entry) => !(entry.apiKey && entry.apiKeyEnv), 'give apiKey or apiKeyEnv, not both');

/** The longest permission timeout: a day. */
const MAX_PERMISSION_TIMEOUT_MS = 86_400_000;

/** The config file (`--config FILE`, `REMOTE_CHAT_CONFIG`): JSON. */
export const ConfigFileSchema = z.strictObject({
  models: z.array(ModelEntrySchema).max(100).default([]),
  /** ACP agents sandbox runtimes may start (`{id, label, command, args, env}`). */
  acpAgents: AcpAgentListSchema.optional(),
  /** An agent's permission request unanswered this long is denied. Runtimes default to 5 minutes. */
  permissionTimeoutMs: z.number().int().positive().max(MAX_PERMISSION_TIMEOUT_MS).optional(),
  usage: z.strictObject({ dailyTokens: z.number().int().positive().optional() }).optional(),
  gateway: z
    .strictObject({
      /** Per capability: `proxy` (the BFF answers) or `local` (refused with not_allowed; the runtime handles it). */
      capabilities: z.record(CapabilitySchema, z.enum(CAPABILITY_POLICIES)).optional(),
      timeoutSeconds: z.number().positive().max(86_400).optional(),
      maxConcurrent: z.number().int().positive().max(1_000).optional(),
      requestsPerMinute: z.number().int().positive().max(100_000).optional(),
    })
    .optional(),
  /** Settings per provider id (`e2b`, `daytona`, `ssh`, a module's): each provider validates its own. */
  providers: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  /** Files of third-party providers, as `--provider-module` takes them (relative to the working folder). */
  providerModules: z.array(z.string().min(1)).max(20).optional(),
});
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** A configuration that cannot work, with what to change; `remote-chat-bff` exits 2 with its message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Capabilities the BFF has a handler for; `proxy` for another is a configuration error. */
export const PROXY_CAPABILITIES = ['inference'] as const;

/**
 * The gateway configuration from the environment and the config file. One model comes from
 * `REMOTE_CHAT_LLM_MODEL` (with `_BASE_URL`, `_API_KEY`, `_API`), listed before the file's models;
 * `REMOTE_CHAT_LLM_DAILY_TOKENS` overrides the file's `usage.dailyTokens`. Throws a ConfigError
 * that names the file, the field and the problem; never one that holds a key.
 */
export function loadGatewayConfig(options: { env: NodeJS.ProcessEnv; configFile?: string | undefined }): GatewayConfig {
  const { env } = options;
  const file = configFileOf(options.configFile);
  const models = [...modelFromEnv(env), ...file.models.map((entry) => modelFromEntry(entry, env, options.configFile))];
  const seen = new Set<string>();
  for (const model of models) {
    if (seen.has(model.id))
      throw new ConfigError(
        `two models have the id "${model.id}"; give each model in ${options.configFile ?? 'the configuration'} its own id`,
      );
    seen.add(model.id);
  }
  const capabilities: Record<string, CapabilityPolicy> = {
    ...(models.length > 0 && { inference: 'proxy' }),
    ...file.gateway?.capabilities,
  };
  for (const [capability, policy] of Object.entries(capabilities)) {
    if (policy === 'proxy' && !(PROXY_CAPABILITIES as readonly string[]).includes(capability))
      throw new ConfigError(
        `gateway.capabilities.${capability} is "proxy", but this server can only answer ${PROXY_CAPABILITIES.join(', ')}; use "local"`,
      );
  }
  const dailyTokens = positiveInteger(env.REMOTE_CHAT_LLM_DAILY_TOKENS, 'REMOTE_CHAT_LLM_DAILY_TOKENS');
  const budget = dailyTokens ?? file.usage?.dailyTokens;
  return {
    models,
    capabilities,
    ...(budget !== undefined && { dailyTokens: budget }),
    timeoutMs: (file.gateway?.timeoutSeconds ?? 600) * 1000,
    maxConcurrent: file.gateway?.maxConcurrent ?? 8,
    requestsPerMinute: file.gateway?.requestsPerMinute ?? 120,
  };
}

/** What sandbox runtimes are told about agents: `RemoteChatOptions.acpAgents` and `permissionTimeoutMs`. */
export interface AgentsConfig {
  acpAgents: AcpAgentConfig[];
  permissionTimeoutMs: number | undefined;
}

/**
 * The ACP agents and the permission timeout from the environment and the config file:
 * `REMOTE_CHAT_ACP_AGENTS` (a JSON list, replacing the file's `acpAgents`) and the file's
 * `permissionTimeoutMs`. Throws a ConfigError that names the field and the problem.
 */
export function loadAgentsConfig(options: { env: NodeJS.ProcessEnv; configFile?: string | undefined }): AgentsConfig {
  const file = configFileOf(options.configFile);
  const fromEnv = options.env.REMOTE_CHAT_ACP_AGENTS?.trim();
  let acpAgents = file.acpAgents ?? [];
  if (fromEnv) {
    let json: unknown;
    try {
      json = JSON.parse(fromEnv);
    } catch (error) {
      throw new ConfigError(`REMOTE_CHAT_ACP_AGENTS is not JSON: ${(error as Error).message}`);
    }
    const parsed = AcpAgentListSchema.safeParse(json);
    if (!parsed.success)
      throw new ConfigError(`REMOTE_CHAT_ACP_AGENTS is invalid: ${problemsOf(parsed.error, 'acpAgents')}`);
    acpAgents = parsed.data;
  }
  return { acpAgents, permissionTimeoutMs: file.permissionTimeoutMs };
}

/** The config file's provider settings and modules (see `configuredProviders`). */
export function loadProvidersConfig(options: { configFile?: string | undefined }): {
  fileSettings: Record<string, Record<string, unknown>>;
  modules: string[];
} {
  const file = configFileOf(options.configFile);
  return { fileSettings: file.providers ?? {}, modules: file.providerModules ?? [] };
}

/** The defaults with no model: nothing is proxied. */
export function emptyGatewayConfig(): GatewayConfig {
  return { models: [], capabilities: {}, timeoutMs: 600_000, maxConcurrent: 8, requestsPerMinute: 120 };
}

/** What runtimes and browsers may know of a model. */
export function modelInfo(model: ModelConfig): ModelInfo {
  return {
    id: model.id,
    label: model.label,
    api: model.api,
    ...(model.contextWindow !== undefined && { contextWindow: model.contextWindow }),
  };
}

function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the config file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`the config file ${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = ConfigFileSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`the config file ${path} is invalid: ${problemsOf(parsed.error)}`);
  return parsed.data;
}

/** The config file's contents, or its defaults without one. */
function configFileOf(path: string | undefined): ConfigFile {
  return path ? readConfigFile(path) : ConfigFileSchema.parse({});
}

/** Issues name paths and rules, never values: a key in the wrong field stays out of the message. */
function problemsOf(error: z.ZodError, prefix?: string): string {
  return error.issues
    .map(
      (issue) =>
        `${[prefix, ...issue.path].filter((part) => part !== undefined).join('.') || '(root)'}: ${issue.message}`,
    )
    .join('; ');
}

function modelFromEntry(entry: z.infer<typeof ModelEntrySchema>, env: NodeJS.ProcessEnv, file?: string): ModelConfig {
  let apiKey = entry.apiKey;
  if (entry.apiKeyEnv) {
    apiKey = env[entry.apiKeyEnv];
    if (!apiKey)
      throw new ConfigError(
        `model "${entry.id}" in ${file ?? 'the config file'} takes its key from ${entry.apiKeyEnv}, which is not set`,
      );
  }
  return {
    id: entry.id,
    label: entry.label ?? entry.id,
    api: entry.api,
    baseUrl: entry.baseUrl ?? DEFAULT_BASE_URLS[entry.api],
    apiKey,
    model: entry.model,
    ...(entry.contextWindow !== undefined && { contextWindow: entry.contextWindow }),
  };
}

/** The model of `REMOTE_CHAT_LLM_*`, if `REMOTE_CHAT_LLM_MODEL` is set. */
function modelFromEnv(env: NodeJS.ProcessEnv): ModelConfig[] {
  const model = env.REMOTE_CHAT_LLM_MODEL?.trim();
  const others = ['REMOTE_CHAT_LLM_BASE_URL', 'REMOTE_CHAT_LLM_API_KEY', 'REMOTE_CHAT_LLM_API'].filter(
    (name) => env[name],
  );
  if (!model) {
    if (others.length > 0)
      throw new ConfigError(
        `${others.join(' and ')} ${others.length === 1 ? 'is' : 'are'} set but REMOTE_CHAT_LLM_MODEL is not: set it to the upstream's model name`,
      );
    return [];
  }
  const api = ModelApiSchema.safeParse(env.REMOTE_CHAT_LLM_API?.trim() || 'openai');
  if (!api.success)
    throw new ConfigError(`REMOTE_CHAT_LLM_API must be openai or anthropic, not "${env.REMOTE_CHAT_LLM_API}"`);
  const baseUrl = env.REMOTE_CHAT_LLM_BASE_URL?.trim();
  if (baseUrl && !HttpUrlSchema.safeParse(baseUrl).success)
    throw new ConfigError('REMOTE_CHAT_LLM_BASE_URL must be an http:// or https:// URL');
  return [
    {
      // The id people see in `llm:<id>`: the model name with what ids cannot hold replaced.
      id: model.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 48) || 'model',
      label: model,
      api: api.data,
      baseUrl: baseUrl || DEFAULT_BASE_URLS[api.data],
      apiKey: env.REMOTE_CHAT_LLM_API_KEY || undefined,
      model,
    },
  ];
}

function positiveInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new ConfigError(`${name} must be a positive whole number of tokens`);
  return number;
}

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { ConfigError } from '../gateway/gateway-config.js';
import { daytonaDefinition } from './daytona-provider.js';
import { E2B_PROVIDER } from './e2b-provider.js';
import type { Provider, ProviderContext, ProviderDefinition } from './provider.js';
import { sshProviderDefinition } from './ssh-provider.js';

/**
 * The providers this BFF knows besides the local ones, each switched on by its settings (see
 * README, "Cloud sandboxes and other hosts"). A provider written elsewhere joins through
 * `--provider-module`, not through this list.
 */
export const BUILTIN_PROVIDERS: readonly ProviderDefinition<unknown>[] = [
  E2B_PROVIDER,
  daytonaDefinition,
  sshProviderDefinition,
];

/** The methods a provider must have; a module whose export lacks one is refused at start-up. */
const PROVIDER_METHODS = ['create', 'clone', 'install', 'writeSettings', 'start', 'probe', 'stop', 'destroy'] as const;

export interface ConfiguredProvidersOptions {
  env: NodeJS.ProcessEnv;
  /** The config file's `providers` object: settings per provider id. @default {} */
  fileSettings?: Readonly<Record<string, Record<string, unknown>>> | undefined;
  /** Files of third-party providers (`--provider-module`), resolved against the working folder. @default [] */
  modules?: readonly string[] | undefined;
  context: ProviderContext;
  /** @default BUILTIN_PROVIDERS */
  definitions?: readonly ProviderDefinition<unknown>[];
}

/**
 * The providers the configuration switches on, made and ready to offer: the built-in ones whose
 * settings are given (the config file's `providers.<id>`, each value overridden by its
 * environment variable), then each module's. Throws a ConfigError naming the provider and the
 * setting (never its value) when a setting is wrong, a module cannot be loaded or does not export
 * a provider, or two providers share an id.
 */
export async function configuredProviders(options: ConfiguredProvidersOptions): Promise<Provider[]> {
  const fileSettings = options.fileSettings ?? {};
  const definitions = [...(options.definitions ?? BUILTIN_PROVIDERS)];
  const made: Provider[] = [];
  for (const path of options.modules ?? []) {
    const exported = await importProvider(path);
    if (isDefinition(exported)) definitions.push(exported);
    else made.push(exported);
  }
  const known = new Set([...definitions.map((d) => d.id), ...made.map((p) => p.id)]);
  for (const id of Object.keys(fileSettings)) {
    if (!known.has(id))
      throw new ConfigError(
        `providers.${id} in the config file: no provider "${id}" (known: ${[...known].join(', ') || 'none'})`,
      );
  }
  const providers: Provider[] = [];
  for (const definition of definitions) {
    const settings = settingsOf(definition, fileSettings[definition.id], options.env);
    if (settings === undefined) continue;
    let provider: Provider;
    try {
      provider = await definition.make(settings, options.context);
    } catch (error) {
      throw new ConfigError(`provider ${definition.id}: ${(error as Error).message}`);
    }
    providers.push(checkedProvider(provider, `provider ${definition.id}`));
  }
  providers.push(...made);
  const ids = new Set<string>();
  for (const provider of providers) {
    if (ids.has(provider.id)) throw new ConfigError(`two providers have the id "${provider.id}"`);
    ids.add(provider.id);
  }
  return providers;
}

/** A definition's settings, validated; undefined when neither the file nor the environment sets any. */
function settingsOf(
  definition: ProviderDefinition<unknown>,
  fromFile: Record<string, unknown> | undefined,
  env: NodeJS.ProcessEnv,
): unknown {
  const raw: Record<string, unknown> = { ...fromFile };
  let fromEnv = false;
  for (const [key, name] of Object.entries(definition.env)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    raw[key] = value;
    fromEnv = true;
  }
  if (!fromFile && !fromEnv) return undefined;
  const parsed = (definition.settings as z.ZodType).safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path.join('.');
    const name = definition.env[String(issue.path[0])];
    return `${key || '(settings)'}${name ? ` (${name})` : ''}: ${issue.message}`;
  });
  throw new ConfigError(`provider ${definition.id}: ${problems.join('; ')}`);
}

async function importProvider(path: string): Promise<Provider | ProviderDefinition> {
  const where = `--provider-module ${path}`;
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  } catch (error) {
    throw new ConfigError(`${where}: cannot be loaded: ${(error as Error).message}`);
  }
  const exported = module.default;
  if (isDefinition(exported)) return exported;
  return checkedProvider(exported, where);
}

function isDefinition(value: unknown): value is ProviderDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ProviderDefinition).make === 'function' &&
    typeof (value as ProviderDefinition).settings === 'object'
  );
}

/** The value, if it has a provider's id, label and methods; a ConfigError naming what is missing otherwise. */
function checkedProvider(value: unknown, where: string): Provider {
  if (typeof value !== 'object' || value === null)
    throw new ConfigError(
      `${where}: exports no provider (its default export must be a Provider or a ProviderDefinition)`,
    );
  const candidate = value as Record<string, unknown>;
  const missing = [
    ...(['id', 'label', 'description'] as const).filter(
      (key) => typeof candidate[key] !== 'string' || candidate[key] === '',
    ),
    ...(candidate.kind === 'sandbox' ? [] : ['kind: "sandbox"']),
    ...PROVIDER_METHODS.filter((method) => typeof candidate[method] !== 'function'),
  ];
  if (missing.length > 0) throw new ConfigError(`${where}: not a provider, it lacks ${missing.join(', ')}`);
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(candidate.id as string))
    throw new ConfigError(`${where}: the id "${String(candidate.id)}" is not lower-case letters, digits and dashes`);
  return value as Provider;
}

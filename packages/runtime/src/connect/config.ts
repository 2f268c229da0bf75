import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { AcpAgentListSchema, type AcpAgentConfig } from '@remote-chat/protocol';
import { EXIT_CODES, RuntimeStartError } from '../exit-codes.js';
import { parseBffUrl } from './link-url.js';

/** The config file, `<config dir>/config.json`. Unknown keys are ignored for forward compatibility. */
export const ConnectConfigSchema = z.object({
  /** The BFF's address, e.g. `https://chat.example.com`. */
  url: z.string().optional(),
  /** An API token (portal → Account → API tokens). */
  token: z.string().optional(),
  /**
   * The folders to connect when none are given on the command line. Relative paths are relative
   * to the config file's folder; `~/` is the home folder. Re-read while running.
   */
  folders: z.array(z.string().min(1)).optional(),
  /**
   * ACP agents this machine offers (`{id, label, command, args, env}`), started in the connected
   * folder; those whose command is not on PATH are left out. Read at start.
   */
  acpAgents: AcpAgentListSchema.optional(),
  /** A permission request left unanswered this long is denied. @default 300000 (5 minutes) */
  permissionTimeoutMs: z.number().int().positive().max(86_400_000).optional(),
  /** A thread's ACP agent process is stopped after this long without a message. @default 600000 */
  acpIdleMs: z.number().int().positive().max(86_400_000).optional(),
  /** ACP agent processes running at once, at most. @default 4 */
  acpMaxProcesses: z.number().int().positive().max(64).optional(),
});
export type ConnectConfig = z.infer<typeof ConnectConfigSchema>;

export const CONFIG_FILE_NAME = 'config.json';

/** `$XDG_CONFIG_HOME/remote-chat`, or `~/.config/remote-chat`: the config file and machine.json. */
export function configDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says to ignore a relative XDG_CONFIG_HOME.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(homeOf(env), '.config');
  return path.join(base, 'remote-chat');
}

/** The command line of `connect`, as commander parses it. */
export interface ConnectFlags {
  url?: string;
  token?: string;
  config?: string;
  /** How often folders, git remotes and the config file are checked, in ms. @default 5000 */
  pollInterval?: number;
  /** An own-models file: the llm agent calls these models directly, with the user's own key. */
  ownModels?: string;
}

/** Where a setting came from; the first that has it wins. */
export type SettingSource = 'flag' | 'environment' | 'config file';

export interface ConnectSettings {
  bff: URL;
  token: string;
  configFile: string;
  /** Whether `configFile` existed. */
  configFound: boolean;
  /** The folders (absolute): from the arguments, else the config file (then watched), else the current folder. */
  folders: { from: 'arguments' | 'config file' | 'current folder'; list: string[] };
  sources: { url: SettingSource; token: SettingSource };
  /** Things a person should know, e.g. a config file with a token that others can read. */
  warnings: string[];
  /** The config file's ACP agents. */
  acpAgents: AcpAgentConfig[];
  /** The config file's permission timeout, if it sets one. */
  permissionTimeoutMs: number | undefined;
  /** The config file's ACP process limits, if it sets them. */
  acpIdleMs: number | undefined;
  acpMaxProcesses: number | undefined;
}

/**
 * Works out what `connect` does from the flags, the environment and the config file: for the URL
 * and the token a flag wins over the environment (REMOTE_CHAT_URL, REMOTE_CHAT_TOKEN), which wins
 * over the config file. Throws a RuntimeStartError with the exit code for what is missing or wrong.
 */
export async function resolveConnectSettings(input: {
  flags: ConnectFlags;
  folders: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}): Promise<ConnectSettings> {
  const { flags, env } = input;
  const configFile = path.resolve(input.cwd, flags.config ?? path.join(configDir(env), CONFIG_FILE_NAME));
  const config = await readConnectConfig(configFile, flags.config !== undefined);
  const warnings: string[] = [];

  const url = pick(flags.url, env.REMOTE_CHAT_URL, config?.url);
  if (!url) {
    throw new RuntimeStartError(
      `no BFF URL: pass --url, set REMOTE_CHAT_URL, or put "url" in ${configFile}`,
      EXIT_CODES.usage,
    );
  }
  let bff: URL;
  try {
    bff = parseBffUrl(url.value);
  } catch (error) {
    throw new RuntimeStartError(`${(error as Error).message} (from the ${url.source})`, EXIT_CODES.usage);
  }

  const token = pick(flags.token, env.REMOTE_CHAT_TOKEN, config?.token);
  if (!token) {
    throw new RuntimeStartError(
      `no API token: set REMOTE_CHAT_TOKEN, put "token" in ${configFile}, or pass --token (create one in the portal under Account → API tokens)`,
      EXIT_CODES.credentials,
    );
  }
  const tokenValue = token.value.trim();
  if (tokenValue.length < 16 || tokenValue.length > 512 || /\s/.test(tokenValue)) {
    throw new RuntimeStartError(
      `the API token from the ${token.source} does not look like one (16-512 characters, no spaces)`,
      EXIT_CODES.credentials,
    );
  }
  if (token.source === 'config file' && (await readableByOthers(configFile))) {
    warnings.push(`${configFile} holds your API token and other users can read it; run: chmod 600 ${configFile}`);
  }

  let folders: ConnectSettings['folders'];
  if (input.folders.length > 0)
    folders = { from: 'arguments', list: input.folders.map((folder) => path.resolve(input.cwd, folder)) };
  else if (config?.folders) folders = { from: 'config file', list: configFolders(config, configFile, env) };
  else folders = { from: 'current folder', list: [path.resolve(input.cwd)] };

  return {
    bff,
    token: tokenValue,
    configFile,
    configFound: config !== undefined,
    folders,
    sources: { url: url.source, token: token.source },
    warnings,
    acpAgents: config?.acpAgents ?? [],
    permissionTimeoutMs: config?.permissionTimeoutMs,
    acpIdleMs: config?.acpIdleMs,
    acpMaxProcesses: config?.acpMaxProcesses,
  };
}

/**
 * Reads the config file; undefined when it does not exist and was not asked for. Throws a
 * RuntimeStartError (exit code `settings`) when it is unreadable or invalid.
 */
export async function readConnectConfig(file: string, required: boolean): Promise<ConnectConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !required) return undefined;
    throw new RuntimeStartError(
      `cannot read the config file ${file}: ${(error as Error).message}`,
      EXIT_CODES.settings,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RuntimeStartError(
      `the config file ${file} is not JSON: ${(error as Error).message}`,
      EXIT_CODES.settings,
    );
  }
  const parsed = ConnectConfigSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new RuntimeStartError(`the config file ${file} is invalid: ${problems}`, EXIT_CODES.settings);
  }
  return parsed.data;
}

/** The config file's folders now, for the poll; undefined when it cannot be read (the current list then stays). */
export async function readConfigFolders(file: string, env: NodeJS.ProcessEnv): Promise<string[] | undefined> {
  try {
    const config = await readConnectConfig(file, true);
    return config?.folders ? configFolders(config, file, env) : undefined;
  } catch {
    return undefined;
  }
}

function configFolders(config: ConnectConfig, file: string, env: NodeJS.ProcessEnv): string[] {
  const base = path.dirname(file);
  return (config.folders ?? []).map((folder) => {
    if (folder === '~') return homeOf(env);
    if (folder.startsWith('~/')) return path.join(homeOf(env), folder.slice(2));
    return path.resolve(base, folder);
  });
}

function pick(
  flag: string | undefined,
  fromEnv: string | undefined,
  fromConfig: string | undefined,
): { value: string; source: SettingSource } | undefined {
  if (flag) return { value: flag, source: 'flag' };
  if (fromEnv) return { value: fromEnv, source: 'environment' };
  if (fromConfig) return { value: fromConfig, source: 'config file' };
  return undefined;
}

function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME || homedir();
}

async function readableByOthers(file: string): Promise<boolean> {
  if (process.platform === 'win32') return false;
  try {
    return ((await stat(file)).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

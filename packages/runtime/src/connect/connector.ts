import { stat } from 'node:fs/promises';
import type { FromRuntimeMessage, Machine, ToRuntimeMessage } from '@remote-chat/protocol';
import type { LinkDialerOptions, LinkSessionOptions } from '@remote-chat/link';
import { EXIT_CODES, RuntimeStartError } from '../exit-codes.js';
import type { ModelAccess } from '../model-endpoint/model-access.js';
import type { RuntimeSettings } from '../settings.js';
import { FolderLink, type ConnectExit } from './folder-link.js';
import { bffKey } from './link-url.js';

export interface ConnectOptions {
  bff: URL;
  /** The user's API token. */
  token: string;
  machine: Machine;
  /** The folders to connect (absolute). */
  folders: string[];
  /**
   * Asked at every poll for the folders wanted now (a config file's list can change): folders
   * added start a link, folders removed stop theirs. Undefined keeps the list. @default the list never changes
   */
  reloadFolders?: () => Promise<string[] | undefined>;
  /** How often folders, git remotes and the folder list are checked. @default 5_000 */
  pollMs?: number;
  /** @default DEFAULT_SETTINGS */
  settings?: RuntimeSettings;
  /** The models the `llm` agent calls (`--own-models`). @default none */
  model?: ModelAccess;
  /** Status lines. @default console.log */
  out?: (line: string) => void;
  /** Problems. @default console.error */
  err?: (line: string) => void;
  /** Backoff. @default 1 s doubling to 30 s, with jitter */
  dialer?: Pick<LinkDialerOptions<FromRuntimeMessage, ToRuntimeMessage>, 'minDelayMs' | 'maxDelayMs'>;
  /** Heartbeats, for tests. */
  link?: Pick<LinkSessionOptions<ToRuntimeMessage>, 'heartbeatMs' | 'deadAfterMs'>;
}

/** A running `connect`. */
export interface Connection {
  /** Resolves once every link has stopped: after `stop()` (code 0) or when the BFF refused for good. */
  done: Promise<ConnectExit>;
  /** Cancels running commands, closes every link with 4503 and resolves once all is closed. */
  stop(): Promise<void>;
  /** The folders connected now and their runtime ids. */
  links(): { folder: string; runtimeId: string }[];
}

/**
 * `remote-chat-runtime connect` as a plain function: connects each folder to the BFF as its own
 * runtime and keeps the set current, checking every `pollMs` that each folder still exists, whether
 * its git remote changed (then it re-registers), and which folders are wanted. Rejects with a
 * RuntimeStartError when no folder could be connected at the start.
 */
export async function connect(options: ConnectOptions): Promise<Connection> {
  const out = options.out ?? ((line: string) => console.log(line));
  const err = options.err ?? ((line: string) => console.error(line));
  const pollMs = options.pollMs ?? 5_000;
  const links = new Map<string, FolderLink>();
  /** Folders not to start again while they stay wanted: they failed to start, or the BFF asked them to stop. */
  const parked = new Set<string>();
  /** Wanted folders that do not exist (yet); started when they appear. */
  const waiting = new Set<string>();
  /** With a fixed folder list, the reason to give up when no folder could start at all. */
  let firstFailure: RuntimeStartError | undefined;
  let wanted = unique(options.folders);
  let stopped = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();
  let finish: (exit: ConnectExit) => void = () => {};
  const done = new Promise<ConnectExit>((resolve) => (finish = resolve));

  const label = (folder: string): string => `[${folder.split(/[\\/]/).filter(Boolean).at(-1) ?? folder}]`;

  const stopAll = async (exit: ConnectExit): Promise<void> => {
    if (stopped) return;
    stopped = true;
    clearTimeout(pollTimer);
    await polling.catch(() => {});
    await Promise.all([...links.values()].map((link) => link.stop()));
    links.clear();
    finish(exit);
  };

  const stopLink = async (folder: string, why: string): Promise<void> => {
    const link = links.get(folder);
    if (!link) return;
    links.delete(folder);
    out(`${label(folder)} ${why}`);
    await link.stop();
  };

  const startLink = async (folder: string): Promise<void> => {
    if (parked.has(folder)) return;
    if (!(await isFolder(folder))) {
      if (!waiting.has(folder)) err(`${label(folder)} ${folder} is not a folder; waiting for it`);
      waiting.add(folder);
      return;
    }
    waiting.delete(folder);
    const prefix = label(folder);
    try {
      const link = await FolderLink.start({
        folder,
        bff: options.bff,
        token: options.token,
        machine: options.machine,
        ...(options.settings ? { settings: options.settings } : {}),
        ...(options.model ? { model: options.model } : {}),
        ...(options.dialer ? { dialer: options.dialer } : {}),
        ...(options.link ? { link: options.link } : {}),
        out: (line) => out(`${prefix} ${line}`),
        err: (line) => err(`${prefix} ${line}`),
        onFatal: (exit) => void stopAll(exit),
        onShutdownRequest: (reason) => {
          parked.add(folder);
          void stopLink(folder, `the server asked this runtime to stop (${reason}); disconnected`).then(() => {
            if (links.size === 0 && !options.reloadFolders) void stopAll({ code: EXIT_CODES.ok });
          });
        },
      });
      if (stopped) {
        await link.stop();
        return;
      }
      links.set(folder, link);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      parked.add(folder);
      err(`${prefix} cannot connect: ${message}`);
      if (error instanceof RuntimeStartError && links.size === 0 && !options.reloadFolders) firstFailure ??= error;
    }
  };

  const poll = async (): Promise<void> => {
    const reloaded = await options.reloadFolders?.();
    if (reloaded) {
      const next = unique(reloaded);
      if (next.join('\n') !== wanted.join('\n'))
        out(`folders changed: ${next.length === 0 ? 'none' : next.join(', ')}`);
      wanted = next;
      for (const folder of [...parked, ...waiting]) {
        if (!wanted.includes(folder)) {
          parked.delete(folder);
          waiting.delete(folder);
        }
      }
    }
    for (const folder of [...links.keys()]) {
      if (stopped) return;
      if (!wanted.includes(folder)) await stopLink(folder, 'no longer in the folder list; disconnected');
      else if (!(await links.get(folder)?.check())) await stopLink(folder, 'the folder is gone; disconnected');
    }
    for (const folder of wanted) {
      if (stopped) return;
      if (!links.has(folder)) await startLink(folder);
    }
  };

  const schedule = (): void => {
    if (stopped) return;
    pollTimer = setTimeout(() => {
      polling = poll().catch((error: unknown) => err(`checking the folders failed: ${(error as Error).message}`));
      void polling.then(schedule);
    }, pollMs);
  };

  out(
    `connecting ${wanted.length} folder${wanted.length === 1 ? '' : 's'} to ${bffKey(options.bff)} as machine "${options.machine.name}" (${options.machine.id})`,
  );
  for (const folder of wanted) await startLink(folder);
  if (links.size === 0 && firstFailure) throw firstFailure;
  schedule();

  return {
    done,
    stop: () => stopAll({ code: EXIT_CODES.ok }),
    links: () => [...links.values()].map((link) => ({ folder: link.folder, runtimeId: link.runtimeId })),
  };
}

function unique(folders: string[]): string[] {
  return [...new Set(folders)];
}

async function isFolder(folder: string): Promise<boolean> {
  try {
    return (await stat(folder)).isDirectory();
  } catch {
    return false;
  }
}

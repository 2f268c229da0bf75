import type { ReactiveControllerHost } from 'lit';
import { streamTopic, type Runtime, type Thread } from '@remote-chat/protocol';
import { describeError } from '../../client/errors.js';
import type { RemoteChatClient } from '../../client/remote-chat-client.js';
import { SnapshotListController } from '../../controllers/snapshot-list-controller.js';
import { loadSelection, saveSelection } from './selection-store.js';

/**
 * Which runtime and thread `<remote-chat>` shows. It follows the user's runtimes and the selected
 * runtime's threads, remembers the selection for the tab (restored for a new client, so a reload
 * shows the same thread), forgets a runtime or thread that no longer exists, and with no thread
 * open opens the newest, or a new one once a runtime it shows is ready with none. Its two lists
 * are the host's controllers; the host calls `sync()` before each update.
 */
export class SelectionController {
  /** The user's runtimes. */
  readonly runtimes: SnapshotListController<'runtimes'>;
  /** The threads of the selected runtime. */
  readonly threads: SnapshotListController<`threads:${string}`>;
  runtimeId = '';
  threadId = '';
  /** The selected runtime, once the list has it. */
  runtime: Runtime | undefined;
  /** The open thread, once the list has it. */
  thread: Thread | undefined;
  /** Why a thread could not be opened for the runtime; empty if nothing went wrong. */
  autoThreadError = '';
  private client: RemoteChatClient | undefined;
  /** Runtimes a thread was opened for automatically, so that it happens once. */
  private readonly autoThreaded = new Set<string>();
  /** The selection as last saved, so that it is written only when it changes. */
  private remembered = '';

  constructor(private readonly host: ReactiveControllerHost) {
    this.runtimes = new SnapshotListController(host);
    this.threads = new SnapshotListController(host);
  }

  /**
   * Brings the selection up to date with `client` and what its lists hold; the host calls it
   * before each update. The lists are followed only while someone is signed in.
   */
  sync(client: RemoteChatClient | undefined, signedIn: boolean): void {
    if (client !== this.client) {
      this.client = client;
      this.restore();
    }
    this.runtimes.follow(client, signedIn ? streamTopic.runtimes : undefined);
    // A remembered runtime that no longer exists is forgotten.
    if (this.runtimes.loaded && this.runtimeId && !this.runtimes.items.some((r) => r.id === this.runtimeId)) {
      this.selectRuntimeId('');
    }
    this.runtime = this.runtimes.items.find((r) => r.id === this.runtimeId);

    this.threads.follow(client, signedIn && this.runtimeId ? streamTopic.threads(this.runtimeId) : undefined);
    if (this.threads.loaded && this.threadId && !this.threads.items.some((t) => t.id === this.threadId)) {
      this.threadId = '';
    }
    if (this.threads.loaded && !this.threadId) this.openNewestThread();
    this.thread = this.threads.items.find((t) => t.id === this.threadId);

    const selection = { runtimeId: this.runtimeId, threadId: this.threadId };
    const remembered = JSON.stringify(selection);
    if (remembered !== this.remembered) {
      this.remembered = remembered;
      saveSelection(this.storageKey, selection);
    }
  }

  /** The user picked `runtime`, or created it. */
  selectRuntime(runtime: Runtime): void {
    this.runtimes.upsert(runtime);
    this.selectRuntimeId(runtime.id);
  }

  /** The user opened `thread`, or created it. */
  selectThread(thread: Thread): void {
    if (thread.runtimeId === this.runtimeId) this.threads.upsert(thread);
    this.threadId = thread.id;
    this.host.requestUpdate();
  }

  private get storageKey(): string {
    return `remote-chat:${this.client?.bffUrl ?? ''}:selection`;
  }

  private restore(): void {
    const remembered = loadSelection(this.storageKey);
    this.runtimeId = remembered.runtimeId;
    this.threadId = remembered.threadId;
    this.remembered = JSON.stringify(remembered);
  }

  private selectRuntimeId(runtimeId: string): void {
    if (runtimeId === this.runtimeId) return;
    this.runtimeId = runtimeId;
    this.threadId = '';
    this.autoThreadError = '';
    this.host.requestUpdate();
  }

  /**
   * With no thread open: the newest thread of the runtime, or, once the runtime is ready and has
   * none, a new one (once per runtime, so that a failure does not loop).
   */
  private openNewestThread(): void {
    const newest = this.threads.items.toSorted((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    if (newest) {
      this.threadId = newest.id;
      return;
    }
    const runtime = this.runtimes.items.find((r) => r.id === this.runtimeId);
    const client = this.client;
    if (!client || runtime?.status !== 'ready' || this.autoThreaded.has(runtime.id)) return;
    this.autoThreaded.add(runtime.id);
    void client.createThread(runtime.id).then(
      (thread) => {
        if (this.runtimeId !== thread.runtimeId) return;
        this.threads.upsert(thread);
        if (!this.threadId) this.threadId = thread.id;
      },
      (error: unknown) => {
        this.autoThreadError = `Could not open a thread: ${describeError(error)}`;
        this.host.requestUpdate();
      },
    );
  }
}

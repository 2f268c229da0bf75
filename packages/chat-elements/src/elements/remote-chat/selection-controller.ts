import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { streamTopic, type GitHubIssue, type Runtime, type Thread } from '@remote-chat/protocol';
import { describeError } from '../../client/errors.js';
import type { RemoteChatClient } from '../../client/remote-chat-client.js';
import { SnapshotListController } from '../../controllers/snapshot-list-controller.js';
import { draftKey, keep } from '../../util/storage.js';
import { sortByActivity } from '../../util/thread-order.js';
import { loadSelection, saveSelection, selectionFromUrl, writeSelectionToUrl } from './selection-store.js';

/** What a link asked for that the user cannot see (it does not exist, or is not theirs). */
export type NotFound = 'runtime' | 'thread' | '';

/**
 * Which runtime and thread `<remote-chat>` shows. It follows the user's runtimes and the selected
 * runtime's threads, remembers the selection for the tab (restored for a new client, so a reload
 * shows the same thread), forgets a runtime or thread that no longer exists, and with no thread
 * open opens the most recently active one that is not archived, or a new one once a runtime it shows is ready with none. Its two lists
 * are the host's controllers; the host calls `sync()` before each update.
 *
 * With `urlState` on, the page's URL holds the selection too (`?runtime=…&thread=…`): a link opens
 * that thread, a choice of the user's is a new history entry, and Back and Forward go back to
 * earlier choices. A link to a runtime or thread the user cannot see sets `notFound`.
 */
export class SelectionController implements ReactiveController {
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
  /** The issue a runtime's first thread starts from, by runtime id. */
  private readonly firstIssues = new Map<string, { repo: string; issue: GitHubIssue }>();
  /** A thread is being opened from an issue: the newest thread is not opened meanwhile (its draft is not written yet). */
  private openingIssue = false;
  /** The selection as last saved, so that it is written only when it changes. */
  private remembered = '';
  /** The open thread while it was not archived: archiving it closes it. */
  private openUnarchived = '';
  /** Whether the page's URL holds the selection. */
  urlState = false;
  /** What the link asked for that could not be found; empty when it was, or there was no link. */
  notFound: NotFound = '';
  /** The user chose the selection since it was last written: the URL gets a new history entry. */
  private chosen = false;
  /** The selection came from the URL (a link, Back or Forward) and is not checked yet. */
  private fromUrl = { runtime: false, thread: false };

  constructor(private readonly host: ReactiveControllerHost) {
    this.runtimes = new SnapshotListController(host);
    this.threads = new SnapshotListController(host);
    host.addController(this);
  }

  hostConnected(): void {
    addEventListener('popstate', this.onPopState);
  }

  hostDisconnected(): void {
    removeEventListener('popstate', this.onPopState);
  }

  /** Back or Forward: the selection the URL names now. */
  private readonly onPopState = (): void => {
    if (!this.urlState) return;
    this.takeFromUrl();
    this.host.requestUpdate();
  };

  private takeFromUrl(): void {
    const { runtimeId, threadId } = selectionFromUrl();
    if (!runtimeId) return;
    this.runtimeId = runtimeId;
    this.threadId = threadId;
    this.fromUrl = { runtime: true, thread: Boolean(threadId) };
    this.notFound = '';
    this.autoThreadError = '';
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
    // A remembered runtime that no longer exists is forgotten; a linked one is not found.
    if (this.runtimes.loaded && this.runtimeId) {
      const found = this.runtimes.items.some((r) => r.id === this.runtimeId);
      if (!found && this.fromUrl.runtime) this.notFound = 'runtime';
      if (!found) {
        this.selectRuntimeId('');
        this.fromUrl.thread = false;
      }
      this.fromUrl.runtime = false;
    }
    this.runtime = this.runtimes.items.find((r) => r.id === this.runtimeId);

    this.threads.follow(client, signedIn && this.runtimeId ? streamTopic.threads(this.runtimeId) : undefined);
    if (this.threads.loaded && this.threadId && this.runtime) {
      const found = this.threads.items.some((t) => t.id === this.threadId);
      if (!found && this.fromUrl.thread) this.notFound = 'thread';
      if (!found) this.threadId = '';
      this.fromUrl.thread = false;
    }
    // The open thread was archived (here, or in another tab): it closes and the newest other one
    // opens. A thread opened from "Show archived" stays open.
    const open = this.threads.items.find((t) => t.id === this.threadId);
    if (open?.archivedAt && open.id === this.openUnarchived) this.threadId = '';
    if (this.threads.loaded && !this.threadId) this.openNewestThread();
    this.thread = this.threads.items.find((t) => t.id === this.threadId);
    this.openUnarchived = this.thread && !this.thread.archivedAt ? this.thread.id : '';

    const selection = { runtimeId: this.runtimeId, threadId: this.threadId };
    const remembered = JSON.stringify(selection);
    if (remembered !== this.remembered) {
      this.remembered = remembered;
      saveSelection(this.storageKey, selection);
    }
    // The URL follows once what it names is known to exist (or is known not to).
    if (this.urlState && !this.fromUrl.runtime && !this.fromUrl.thread && this.runtimes.loaded) {
      writeSelectionToUrl(selection, this.chosen);
      this.chosen = false;
    }
  }

  /** The user picked `runtime`, or created it. */
  selectRuntime(runtime: Runtime): void {
    this.runtimes.upsert(runtime);
    if (runtime.id !== this.runtimeId) this.chosen = true;
    this.notFound = '';
    this.selectRuntimeId(runtime.id);
  }

  /** The user opened `thread`, or created it. */
  selectThread(thread: Thread): void {
    if (thread.runtimeId === this.runtimeId) this.threads.upsert(thread);
    if (thread.id !== this.threadId) this.chosen = true;
    this.notFound = '';
    this.threadId = thread.id;
    this.host.requestUpdate();
  }

  /** The first thread of `runtimeId` (opened once it is ready) starts from `issue` of `repo`. */
  startFromIssue(runtimeId: string, repo: string, issue: GitHubIssue): void {
    this.firstIssues.set(runtimeId, { repo, issue });
  }

  /**
   * Opens a new thread of `runtime` started from `issue` of `repo`: the thread links back to the
   * issue, and its composer holds the issue's title and body, to edit before sending.
   */
  async openIssueThread(runtime: Runtime, repo: string, issue: GitHubIssue): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.openingIssue = true;
    try {
      const thread = await client.createThread(runtime.id, {
        title: `#${issue.number} ${issue.title}`.slice(0, 200),
        issue: { repo, number: issue.number, title: issue.title.slice(0, 500), htmlUrl: issue.htmlUrl },
      });
      await keep(draftKey(client.bffUrl, thread.id), issueMessage(issue));
      if (this.runtimeId !== thread.runtimeId) return;
      this.threads.upsert(thread);
      this.threadId = thread.id;
      this.host.requestUpdate();
    } catch (error) {
      this.autoThreadError = `Could not open a thread for issue #${issue.number}: ${describeError(error)}`;
      this.host.requestUpdate();
    } finally {
      this.openingIssue = false;
    }
  }

  private get storageKey(): string {
    return `remote-chat:${this.client?.bffUrl ?? ''}:selection`;
  }

  private restore(): void {
    const remembered = loadSelection(this.storageKey);
    this.runtimeId = remembered.runtimeId;
    this.threadId = remembered.threadId;
    this.remembered = JSON.stringify(remembered);
    // A link wins over what the tab remembered.
    if (this.urlState) this.takeFromUrl();
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
    if (this.openingIssue) return;
    const newest = sortByActivity(this.threads.items).find((t) => !t.archivedAt);
    if (newest) {
      this.threadId = newest.id;
      return;
    }
    const runtime = this.runtimes.items.find((r) => r.id === this.runtimeId);
    const client = this.client;
    if (!client || runtime?.status !== 'ready' || this.autoThreaded.has(runtime.id)) return;
    this.autoThreaded.add(runtime.id);
    const first = this.firstIssues.get(runtime.id);
    if (first) {
      this.firstIssues.delete(runtime.id);
      void this.openIssueThread(runtime, first.repo, first.issue);
      return;
    }
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

/** A thread's first message, from the issue it starts from. */
export function issueMessage(issue: GitHubIssue): string {
  return issue.body?.trim() ? `${issue.title}\n\n${issue.body.trim()}` : issue.title;
}

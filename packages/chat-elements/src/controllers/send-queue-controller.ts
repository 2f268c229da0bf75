import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { RcConnectionChangeEvent } from '../client/connection-status.js';
import { describeError, isRetryable } from '../client/errors.js';
import { SEND_RETRY, retrySend } from '../client/send-retry.js';
import type { RemoteChatClient } from '../client/remote-chat-client.js';
import { keep, readKept } from '../util/storage.js';

/**
 * `sending`: a request is under way. `queued`: waiting for the connection to come back.
 * `failed`: the BFF refused it (the user can edit and retry). `sent`: stored; it shows for good
 * once the thread's stream brings it back.
 */
export type PendingMessageState = 'sending' | 'queued' | 'failed' | 'sent';

export interface PendingMessage {
  readonly clientId: string;
  readonly text: string;
  readonly agent: string | undefined;
  state: PendingMessageState;
  /** Why it failed. */
  error: string;
}

/** How long a message waits before it is tried again when nothing says the network is back. */
const WAIT_MS = { first: 5_000, max: 30_000 } as const;

/**
 * The messages a user sent that the thread does not show yet, sent one at a time and in order.
 *
 * The queue is the one owner of their retries: each try is one request (`sendMessage` with
 * `attempts: 1`). A try that fails in a way that may pass is followed by quick ones, as
 * `sendMessage` would make (the message still shows as sending); after those the message waits
 * for the connection (kept in IndexedDB, so a reload does not lose it), tried again at longer and
 * longer intervals, and at once when the connection comes back. Every try carries the message's
 * client id, so the BFF stores it once however many tries reach it.
 */
export class SendQueueController implements ReactiveController {
  messages: PendingMessage[] = [];
  private client: RemoteChatClient | undefined;
  private threadId = '';
  private storageKey = '';
  private sending = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private waitMs: number = WAIT_MS.first;
  /** Tries of the first unsent message that failed since it was last tried afresh. */
  private failures = 0;
  private connected = false;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {
    this.connected = true;
    globalThis.addEventListener?.('online', this.wake);
    this.client?.addEventListener(RcConnectionChangeEvent.eventName, this.onConnection);
    void this.flush();
  }

  hostDisconnected(): void {
    this.connected = false;
    globalThis.removeEventListener?.('online', this.wake);
    this.client?.removeEventListener(RcConnectionChangeEvent.eventName, this.onConnection);
    clearTimeout(this.timer);
  }

  /** Sends through `client` into `threadId`; loads the messages still queued for that thread. */
  follow(client: RemoteChatClient | undefined, threadId: string): void {
    if (client === this.client && threadId === this.threadId) return;
    this.client?.removeEventListener(RcConnectionChangeEvent.eventName, this.onConnection);
    this.client = client;
    if (this.connected) client?.addEventListener(RcConnectionChangeEvent.eventName, this.onConnection);
    this.threadId = threadId;
    this.messages = [];
    this.failures = 0;
    // The key keeps the name the queue had before it was renamed: messages queued then are still sent.
    this.storageKey = client && threadId ? `outbox:${client.bffUrl}:${threadId}` : '';
    const key = this.storageKey;
    if (!key) return;
    void readKept<Array<Pick<PendingMessage, 'clientId' | 'text' | 'agent'>>>(key).then((kept) => {
      if (key !== this.storageKey || !Array.isArray(kept) || kept.length === 0) return;
      const known = new Set(this.messages.map((m) => m.clientId));
      const restored = kept
        .filter((m) => typeof m?.clientId === 'string' && typeof m.text === 'string' && !known.has(m.clientId))
        .map(
          (m): PendingMessage => ({ clientId: m.clientId, text: m.text, agent: m.agent, state: 'queued', error: '' }),
        );
      this.messages = [...restored, ...this.messages];
      this.changed();
      void this.flush();
    });
  }

  /** Queues a message and sends it as soon as it can. */
  add(message: { clientId: string; text: string; agent: string | undefined }): void {
    this.messages = [...this.messages, { ...message, state: 'sending', error: '' }];
    this.changed();
    void this.flush();
  }

  /** Tries a failed message again, with the same client id. */
  retry(clientId: string): void {
    this.failures = 0;
    this.update(clientId, { state: 'queued', error: '' });
    void this.flush();
  }

  /** Takes a message out of the queue (to edit it); returns its text. */
  remove(clientId: string): string {
    const message = this.messages.find((m) => m.clientId === clientId);
    this.messages = this.messages.filter((m) => m.clientId !== clientId);
    this.changed();
    return message?.text ?? '';
  }

  /** Drops the messages the thread now shows. */
  confirm(shown: (clientId: string) => boolean): void {
    if (!this.messages.some((m) => shown(m.clientId))) return;
    this.messages = this.messages.filter((m) => !shown(m.clientId));
    this.changed();
  }

  /** Whether a message is waiting for the connection. */
  get waiting(): boolean {
    return this.messages.some((m) => m.state === 'queued');
  }

  private readonly onConnection = (event: Event): void => {
    if (event instanceof RcConnectionChangeEvent && event.detail.status === 'open') this.wake();
  };

  private readonly wake = (): void => {
    this.waitMs = WAIT_MS.first;
    this.failures = 0;
    void this.flush();
  };

  private offline(client: RemoteChatClient): boolean {
    return globalThis.navigator?.onLine === false || client.connectionStatus === 'reconnecting';
  }

  private async flush(): Promise<void> {
    const client = this.client;
    const threadId = this.threadId;
    if (this.sending || !client || !threadId || !this.connected) return;
    const next = this.messages.find((m) => m.state === 'sending' || m.state === 'queued');
    if (!next) return;
    clearTimeout(this.timer);
    if (this.offline(client)) {
      this.update(next.clientId, { state: 'queued' });
      this.schedule();
      return;
    }
    this.sending = true;
    this.update(next.clientId, { state: 'sending', error: '' });
    const message = next.agent
      ? { text: next.text, clientId: next.clientId, agent: next.agent }
      : { text: next.text, clientId: next.clientId };
    // Quick tries while some are left; a message that waits for the connection gets one try a time.
    const tries = Math.max(1, SEND_RETRY.attempts - this.failures);
    let sent = false;
    try {
      await retrySend(() => client.sendMessage(threadId, message, { attempts: 1 }), tries);
      sent = true;
    } catch (error) {
      if (threadId === this.threadId) {
        if (isRetryable(error)) {
          this.failures += tries;
          this.update(next.clientId, { state: 'queued' });
          this.schedule();
        } else {
          this.failures = 0;
          this.update(next.clientId, { state: 'failed', error: describeError(error) });
        }
      }
    } finally {
      this.sending = false;
    }
    if (sent && threadId === this.threadId) {
      this.waitMs = WAIT_MS.first;
      this.failures = 0;
      this.update(next.clientId, { state: 'sent' });
      void this.flush();
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), this.waitMs);
    this.waitMs = Math.min(WAIT_MS.max, this.waitMs * 2);
  }

  private update(clientId: string, patch: Partial<Pick<PendingMessage, 'state' | 'error'>>): void {
    this.messages = this.messages.map((m) => (m.clientId === clientId ? { ...m, ...patch } : m));
    this.changed();
  }

  private changed(): void {
    if (this.storageKey) {
      const unsent = this.messages
        .filter((m) => m.state !== 'sent')
        .map(({ clientId, text, agent }) => ({ clientId, text, agent }));
      void keep(this.storageKey, unsent.length ? unsent : undefined);
    }
    this.host.requestUpdate();
  }
}

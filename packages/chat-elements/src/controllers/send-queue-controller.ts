import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { RcConnectionChangeEvent } from '../client/connection-status.js';
import { describeError, isRetryable } from '../client/errors.js';
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

/** How long to wait before trying a queued message again when nothing says the network is back. */
const RETRY_MS = { first: 5_000, max: 30_000 } as const;

/**
 * The messages a user sent that the thread does not show yet, sent one at a time and in order.
 *
 * While the connection is down a message waits in the queue (kept in IndexedDB, so a reload does
 * not lose it) and goes out when the connection comes back. Every attempt carries the message's
 * client id, so the BFF stores it once however many attempts reach it.
 */
export class SendQueueController implements ReactiveController {
  messages: PendingMessage[] = [];
  private client: RemoteChatClient | undefined;
  private threadId = '';
  private storageKey = '';
  private sending = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private retryMs: number = RETRY_MS.first;
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
    this.retryMs = RETRY_MS.first;
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
    let sent = false;
    try {
      await client.sendMessage(
        threadId,
        next.agent
          ? { text: next.text, clientId: next.clientId, agent: next.agent }
          : { text: next.text, clientId: next.clientId },
      );
      sent = true;
    } catch (error) {
      if (threadId === this.threadId) {
        if (isRetryable(error)) {
          this.update(next.clientId, { state: 'queued' });
          this.schedule();
        } else this.update(next.clientId, { state: 'failed', error: describeError(error) });
      }
    } finally {
      this.sending = false;
    }
    if (sent && threadId === this.threadId) {
      this.retryMs = RETRY_MS.first;
      this.update(next.clientId, { state: 'sent' });
      void this.flush();
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), this.retryMs);
    this.retryMs = Math.min(RETRY_MS.max, this.retryMs * 2);
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

import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { RemoteChatClient } from '../client/remote-chat-client.js';
import {
  foldSnapshot,
  upsert,
  type SnapshotItem,
  type SnapshotTopic,
  type TopicFrame,
} from '../client/topic-frames.js';

export interface SnapshotListCallbacks<T extends SnapshotTopic> {
  /** The list changed: a snapshot or an update arrived, or `upsert` put an item in. */
  onChange?: (items: SnapshotItem<T>[]) => void;
  /** The BFF sent an error for the topic; the list stays as it was. */
  onError?: (message: string) => void;
}

/**
 * The list a snapshot topic of a client's stream (`runtimes`, `threads:RUNTIME_ID`) stands for:
 * the whole list it answers with, then every update folded in. Follows the topic while the host
 * is connected; `follow()` switches to another client or topic and starts from an empty list.
 * The one place the elements fold such a topic: `<remote-chat>`, the runtime picker and the
 * thread list each keep their list in one.
 */
export class SnapshotListController<T extends SnapshotTopic> implements ReactiveController {
  /** The last snapshot with every later update applied; empty until the snapshot arrives. */
  items: SnapshotItem<T>[] = [];
  /** Whether the snapshot of the followed topic has arrived. */
  loaded = false;
  private client: RemoteChatClient | undefined;
  private topic: T | undefined;
  private unsubscribe: (() => void) | undefined;
  private connected = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly callbacks: SnapshotListCallbacks<T> = {},
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.connected = true;
    this.start();
  }

  hostDisconnected(): void {
    this.connected = false;
    this.stop();
  }

  /** Follows `topic` through `client` (nothing when either is undefined). */
  follow(client: RemoteChatClient | undefined, topic: T | undefined): void {
    if (client === this.client && topic === this.topic) return;
    this.stop();
    this.client = client;
    this.topic = topic;
    this.items = [];
    this.loaded = false;
    this.start();
  }

  /** Puts an item in, or replaces it, ahead of the stream: one the user just created or changed. */
  upsert(item: SnapshotItem<T>): void {
    this.change(upsert(this.items, item));
  }

  /** Takes an item out ahead of the stream: one the user just deleted. */
  remove(id: string): void {
    this.change(this.items.filter((item) => item.id !== id));
  }

  private readonly onFrame = (frame: TopicFrame<T>): void => {
    if (frame.type === 'error') {
      this.callbacks.onError?.(frame.message);
      return;
    }
    const items = foldSnapshot(this.items, frame);
    if (!items) return;
    if (frame.type === 'runtimes' || frame.type === 'threads') this.loaded = true;
    this.change(items);
  };

  private change(items: SnapshotItem<T>[]): void {
    this.items = items;
    this.callbacks.onChange?.(items);
    this.host.requestUpdate();
  }

  private start(): void {
    if (!this.connected || !this.client || !this.topic || this.unsubscribe) return;
    this.unsubscribe = this.client.subscribe(this.topic, 0, this.onFrame);
  }

  private stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

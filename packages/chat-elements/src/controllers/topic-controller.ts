import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Topic } from '@remote-chat/protocol';
import type { RemoteChatClient } from '../client/remote-chat-client.js';
import type { TopicFrame } from '../client/topic-frames.js';

/**
 * Listens to one snapshot topic of a client's stream while the host is connected; `follow()`
 * switches to another client or topic.
 */
export class TopicController<K extends Topic> implements ReactiveController {
  private client: RemoteChatClient | undefined;
  private topic: K | undefined;
  private unsubscribe: (() => void) | undefined;
  private connected = false;

  constructor(
    host: ReactiveControllerHost,
    private readonly onFrame: (frame: TopicFrame<K>) => void,
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

  follow(client: RemoteChatClient | undefined, topic: K | undefined): void {
    if (client === this.client && topic === this.topic) return;
    this.stop();
    this.client = client;
    this.topic = topic;
    this.start();
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

import {
  CLOSE_CODES,
  LIMITS,
  type CreateRuntimeRequest,
  type EventBody,
  type FromRuntimeMessage,
  type LinkState,
  type LogEntry,
  type ModelInfo,
  type Runtime,
  type ThreadEvent,
  type ToRuntimeMessage,
} from '@remote-chat/protocol';
import { acceptLink } from '@remote-chat/link';
import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { EntryWriter } from '../entry-writer.js';
import { RemoteChatError, errorMessage, notFound } from '../errors.js';
import type { ExecutionGateway } from '../gateway/execution-gateway.js';
import type { Hub } from '../hub.js';
import type { Provider } from '../providers/provider.js';
import { newId, type ServerSecret } from '../secrets.js';
import type { AppendResult, RuntimeRecord, Store, ThreadRecord } from '../store/store.js';
import { InboundEvents } from './inbound-events.js';
import { LiveLinks, type LiveRuntime } from './live-links.js';
import { RuntimeView } from './public-view.js';
import { messageSendOf } from './stored-outbox.js';
import { ENDED, Supervisor } from './supervisor.js';

export interface RuntimesOptions {
  store: Store;
  writer: EntryWriter;
  hub: Hub<ThreadEvent | LogEntry>;
  providers: ReadonlyMap<string, Provider>;
  secret: ServerSecret;
  logger: Logger;
  /** How long `ready` waits for the link to open. @default 15_000 */
  linkTimeoutMs?: number;
  /**
   * A sandbox runtime with no message in, no event out and no agent at work for this long is
   * stopped and its resources released. Machine runtimes are never stopped. @default 3_600_000
   */
  idleTimeoutMs?: number;
  /** How often idle runtimes are looked for. @default a tenth of `idleTimeoutMs`, at most a minute */
  idleCheckMs?: number;
  /** Checks the API token a machine's `hello` carries; returns its user's id. */
  verifyMachineToken: (token: string) => Promise<string | null>;
  /** Answers the runtimes' capability calls. */
  gateway: ExecutionGateway;
  /** The models the gateway offers; every runtime is sent the list after each handshake. */
  models: readonly ModelInfo[];
}

/**
 * The runtimes, as the routes and the stream see them (`RemoteChat.runtimes`): create, read, stop
 * and delete them, send them work, take the links machines dial in. Knows nothing of HTTP. The
 * work is done by the parts it wires together: the live links (`live-links.ts`), the inbound event
 * store (`inbound-events.ts`), the supervisor (`supervisor.ts`, with the provider steps of
 * `provider-steps.ts`) and the public view (`public-view.ts`).
 */
export class Runtimes {
  private readonly links: LiveLinks;
  private readonly view: RuntimeView;
  private readonly inbound: InboundEvents;
  private readonly supervisor: Supervisor;

  constructor(private readonly options: RuntimesOptions) {
    const { store, writer, hub, providers, logger } = options;
    this.links = new LiveLinks({
      store,
      secret: options.secret,
      onOutboxError: (runtimeId, error) =>
        logger.error({ runtimeId, err: errorMessage(error) }, 'cannot write what is sent to the runtime'),
      ...(options.linkTimeoutMs !== undefined && { linkTimeoutMs: options.linkTimeoutMs }),
      onMessage: (live, message, seq) => this.inbound.receive(live, message, seq),
      onState: (live, state, detail) => this.linkChanged(live, state, detail),
      onGatewayFrame: (live, frame) =>
        options.gateway.receive(
          // Whose call it is comes from the link, never from the frame.
          { runtimeId: live.id, userId: live.userId, send: (answer) => live.session.sendGateway(answer) },
          frame,
        ),
    });
    this.view = new RuntimeView(hub, (runtimeId) => this.links.stateOf(runtimeId));
    this.inbound = new InboundEvents({
      store,
      writer,
      view: this.view,
      logger,
      onInfo: (live) => this.supervisor.reported(live),
    });
    this.supervisor = new Supervisor({
      store,
      writer,
      providers,
      links: this.links,
      view: this.view,
      logger,
      ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }),
      ...(options.idleCheckMs !== undefined && { idleCheckMs: options.idleCheckMs }),
    });
  }

  /** After each handshake the runtime learns the models; a link that goes down ends its gateway calls. */
  private async linkChanged(live: LiveRuntime, state: LinkState, detail?: string): Promise<void> {
    if (state === 'offline') this.options.gateway.linkDown(live.id);
    if (state === 'open' && live.link !== 'open' && !live.abort.signal.aborted)
      void this.links
        .send(live, [{ type: 'models', models: [...this.options.models] }])
        .catch((error: unknown) =>
          this.options.logger.error({ runtimeId: live.id, err: errorMessage(error) }, 'cannot send the model list'),
        );
    await this.supervisor.linkChanged(live, state, detail);
  }

  /** Whether a thread is one of a live runtime's own. */
  async ownsThread(runtimeId: string, threadId: string): Promise<boolean> {
    const live = this.links.get(runtimeId);
    return live !== undefined && (await this.inbound.ownThread(live, threadId)) !== null;
  }

  /** The public view of a stored runtime, with the live link state. */
  toPublic(record: RuntimeRecord): Runtime {
    return this.view.toPublic(record);
  }

  async create(userId: string, request: CreateRuntimeRequest): Promise<Runtime> {
    const provider = this.options.providers.get(request.provider);
    if (!provider) {
      throw new RemoteChatError('bad_request', `Unknown provider "${request.provider}".`, {
        providers: [...this.options.providers.keys()],
      });
    }
    const record = await this.options.store.createRuntime({
      id: newId('rt'),
      userId,
      name: request.name ?? request.repo ?? provider.label,
      kind: provider.kind,
      provider: provider.id,
      repo: request.repo ?? null,
      branch: request.branch ?? null,
      agent: request.agent ?? 'shell',
    });
    this.view.publish(record);
    this.supervisor.start(record, provider);
    return this.toPublic(record);
  }

  /** A runtime the user owns, or not_found (also when it exists but is someone else's). */
  async get(userId: string, id: string): Promise<RuntimeRecord> {
    const record = await this.options.store.getRuntime(id);
    if (!record || record.userId !== userId) throw notFound('runtime');
    return record;
  }

  async delete(userId: string, id: string): Promise<void> {
    await this.supervisor.destroy(await this.get(userId, id));
  }

  /** Counts as use of the runtime for the idle shutdown (a thread opened, a page looking at it). */
  touch(runtimeId: string): void {
    const live = this.links.get(runtimeId);
    if (live) live.lastActivity = Date.now();
  }

  /**
   * Stores a user message and, in the same transaction, queues it for the runtime's agent; a
   * retry of a stored message (the same client id) is neither stored nor sent again. Once this
   * resolves the message reaches the agent once, whatever restarts in between.
   */
  async sendMessage(thread: ThreadRecord, body: Extract<EventBody, { kind: 'message.user' }>): Promise<AppendResult> {
    const live = await this.links.require(thread.runtimeId);
    live.threads.add(thread.id);
    live.lastActivity = Date.now();
    return this.links.exclusive(live, async () => {
      const outbound = {
        runtimeId: live.id,
        seq: live.outbox.lastSeq + 1,
        message: (event: ThreadEvent) => messageSendOf(thread.id, event),
      };
      const result = await this.options.writer.appendEvent(thread, body, { outbound });
      // A renumbering (the runtime lost its state) while the event was being stored moves its seq.
      if (result.created && live.session.send(messageSendOf(thread.id, result.event)) !== outbound.seq)
        live.outbox.rewrite();
      return result;
    });
  }

  /**
   * Sends an uploaded file to the runtime in pieces, ahead of any message sent after it (the link
   * keeps order), so the agent finds it whole when it reads the message that names it. Stored
   * when this resolves, like a message.
   */
  async upload(thread: ThreadRecord, path: string, bytes: Buffer): Promise<void> {
    const live = await this.links.require(thread.runtimeId);
    live.lastActivity = Date.now();
    const chunk = LIMITS.uploadChunkBytes;
    const pieces: ToRuntimeMessage[] = [];
    for (let offset = 0; offset === 0 || offset < bytes.length; offset += chunk) {
      pieces.push({
        type: 'file.upload',
        threadId: thread.id,
        path,
        offset,
        data: bytes.subarray(offset, offset + chunk).toString('base64'),
        final: offset + chunk >= bytes.length,
      });
    }
    await this.links.send(live, pieces);
  }

  /** Asks the runtime to stop the thread's work; stored when this resolves, like a message. */
  async cancel(thread: ThreadRecord): Promise<void> {
    const live = await this.links.require(thread.runtimeId);
    await this.links.send(live, [{ type: 'thread.cancel', threadId: thread.id }]);
  }

  /** Throws runtime_unavailable unless the runtime can take work now or once its link is back. */
  assertAvailable(record: RuntimeRecord): void {
    if (ENDED.has(record.status) || !this.links.has(record.id)) {
      throw new RemoteChatError(
        'runtime_unavailable',
        `The runtime is ${record.status}; start a new runtime to continue.`,
      );
    }
  }

  /** Re-attaches the runtimes that were up when the BFF last stopped (see `Supervisor.resumeAll`). */
  resumeAll(): Promise<void> {
    return this.supervisor.resumeAll();
  }

  /**
   * Takes a link a user's machine dialled (`remote-chat-runtime connect`). The hello's API token
   * names the user; an unknown runtime id registers a new machine runtime for them. A runtime id
   * that is someone else's, or not a machine's, is refused exactly like a bad token.
   */
  async acceptMachine(socket: WebSocket): Promise<void> {
    const { store, writer } = this.options;
    let live: LiveRuntime | undefined;
    await acceptLink<ToRuntimeMessage, FromRuntimeMessage>(socket, {
      verify: async ({ runtimeId, token }) => {
        const userId = await this.options.verifyMachineToken(token);
        if (!userId) return false;
        let record = await store.getRuntime(runtimeId);
        if (record && (record.userId !== userId || record.kind !== 'machine')) return false;
        if (!record) {
          record = await store.createRuntime({
            id: runtimeId,
            userId,
            name: 'Machine',
            kind: 'machine',
            provider: 'machine',
            repo: null,
            branch: null,
            agent: 'shell',
          });
          await writer.appendLog(runtimeId, {
            kind: 'status',
            status: 'starting',
            detail: 'A machine registered this folder.',
          });
        }
        live = await this.links.ensure(record);
        return true;
      },
      session: () => live!.session,
    });
    // Ready once its runtime.info is stored (Supervisor.reported): never listed without its project.
  }

  /**
   * Cuts a runtime's link without stopping anything: it reconnects and each side resends what the
   * other had not acknowledged. For operators (a stuck connection) and for fault-injection tests.
   */
  dropLink(userId: string, runtimeId: string): boolean {
    const live = this.links.get(runtimeId);
    if (!live || live.userId !== userId) return false;
    live.session.detach(CLOSE_CODES.goingAway, 'link reset');
    return true;
  }

  /** Closes every link; runtimes keep running and are re-attached by the next start. */
  async close(): Promise<void> {
    await this.supervisor.close();
    await this.links.closeAll();
  }
}

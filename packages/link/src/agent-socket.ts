import type { RawData, WebSocket } from 'ws';
import {
  AGENT_ENDPOINT_VERSION,
  AgentToHostFrameSchema,
  CLOSE_CODES,
  LIMITS,
  type AgentToHostFrame,
  type EventBody,
  type HostToAgentFrame,
} from '@remote-chat/protocol';
import { parseJson, rawDataText } from './frames.js';
import type { PermissionOutcome, PermissionQuestion } from './permission-desk.js';
import { closeSocket, MAX_BAD_FRAMES } from './session.js';

/** Who an agent said it is in its `register` frame (with the id its URL named). */
export interface AgentRegistration {
  agentId: string;
  /** @default the agent id */
  label: string;
  description: string | undefined;
}

/** The host's verdict on a registration: accepted, or refused with an error frame and a close. */
export type RegistrationVerdict =
  | { ok: true; connectionId: string; threadId?: string }
  | { ok: false; code: 'agent_id_taken' | 'bad_frame'; message: string; close: number };

export interface AgentSocketOptions {
  /** The `agentId` of the URL's query, if it had one. */
  agentId: string | undefined;
  /** Decides on a `register`; called once. */
  register: (registration: AgentRegistration) => RegistrationVerdict;
  /** The socket closed (after `register` or not). */
  onClose?: (code: number) => void;
  /** Diagnostics. @default nothing */
  log?: (line: string) => void;
  /** Frames a second the agent may send, bursts of twice as many. @default LIMITS.agentFramesPerSecond */
  framesPerSecond?: number;
  /** A ping goes out this often; a socket that answered none of the last two is ended. @default 15_000 */
  heartbeatMs?: number;
}

/** One user message for an agent: what `AgentSocket.runTurn` sends and how it reports back. */
export interface AgentSocketTurn {
  threadId: string;
  /** Unique among the socket's open turns of the thread: the message's seq. */
  turnId: string;
  messageId: string;
  text: string;
  /** The agent id the message named. */
  agent: string;
  /** The thread's events before this message; sent when this socket has not had the thread before. */
  history: readonly EventBody[] | undefined;
  /** Stop: the agent gets `cancel`, and the turn ends for it a second later. */
  signal: AbortSignal;
  /** Publishes one event of the turn (already checked against the protocol's schema). */
  emit: (event: EventBody) => void;
  /** Asks the person (the host's `PermissionDesk`): a `permission.request` frame of the agent. */
  askPermission: (question: PermissionQuestion) => Promise<PermissionOutcome>;
}

/** Permission requests one turn may have open at once. */
export const MAX_OPEN_PERMISSION_REQUESTS = 8;

/** How long an agent has to send `done` after `cancel` before the turn is ended for it. */
export const AGENT_CANCEL_GRACE_MS = 1_000;

interface OpenTurn {
  emit: (event: EventBody) => void;
  askPermission: (question: PermissionQuestion) => Promise<PermissionOutcome>;
  /** The agent's ids of its permission requests waiting for an answer. */
  asking: Set<string>;
  /** Tool calls opened and not closed, to close if the turn is cut short. */
  calls: Set<string>;
  /** Streamed text of messages not closed by a `message.agent`. */
  streamed: Map<string, string>;
  end: (how: { error?: string } | { cut: string }) => void;
}

/**
 * The host's side of one external agent's WebSocket (a runtime's `/codebolt`, the BFF's
 * `/api/agent`): the `register` → `registered` exchange, then `message` / `cancel` frames out and
 * `event` / `done` frames in, every frame checked with the protocol's schemas, size-capped by the
 * socket and rate-limited here. A refused frame gets an `error` frame and changes nothing; too many
 * close the socket (4400). A turn the agent does not finish (it disconnected, or ignored a Stop)
 * is ended for it: open tool calls fail, streamed text is closed, and the thread says why.
 */
export class AgentSocket {
  readonly #socket: WebSocket;
  readonly #options: AgentSocketOptions;
  readonly #turns = new Map<string, OpenTurn>();
  readonly #threadsSeen = new Set<string>();
  readonly #framesPerSecond: number;
  #registration: AgentRegistration | undefined;
  #badFrames = 0;
  #tokens: number;
  #refilledAt = performance.now();
  #closed = false;
  #unanswered = 0;
  #heartbeat: NodeJS.Timeout;

  constructor(socket: WebSocket, options: AgentSocketOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#framesPerSecond = options.framesPerSecond ?? LIMITS.agentFramesPerSecond;
    this.#tokens = this.#framesPerSecond * 2;
    socket.on('message', (data, isBinary) => this.#receive(data, isBinary));
    socket.on('pong', () => {
      this.#unanswered = 0;
    });
    socket.on('error', () => {});
    socket.once('close', (code) => this.#closedBy(code));
    this.#heartbeat = setInterval(() => {
      if (this.#unanswered++ >= 2) socket.terminate();
      else socket.ping();
    }, options.heartbeatMs ?? 15_000);
    this.#heartbeat.unref();
  }

  /** Who registered; undefined before `register`. */
  get registration(): AgentRegistration | undefined {
    return this.#registration;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the socket; open turns end as cut short. */
  close(code: number, reason: string): void {
    closeSocket(this.#socket, code, reason);
  }

  /**
   * Sends the agent one user message and resolves when the turn is over: the agent sent `done`, or
   * the turn was ended for it (Stop ignored for a second, the socket closed).
   */
  runTurn(turn: AgentSocketTurn): Promise<void> {
    const key = turnKey(turn.threadId, turn.turnId);
    const label = this.#registration?.label ?? turn.agent;
    return new Promise<void>((resolve) => {
      if (this.#closed) {
        turn.emit(note(turn, `${label} is not connected any more, so it did not answer.`));
        resolve();
        return;
      }
      let graceTimer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        this.#send({ type: 'cancel', threadId: turn.threadId, turnId: turn.turnId });
        graceTimer = setTimeout(() => open.end({ cut: 'Stopped.' }), AGENT_CANCEL_GRACE_MS);
        graceTimer.unref();
      };
      const open: OpenTurn = {
        emit: turn.emit,
        askPermission: turn.askPermission,
        asking: new Set(),
        calls: new Set(),
        streamed: new Map(),
        end: (how) => {
          if (this.#turns.get(key) !== open) return;
          this.#turns.delete(key);
          clearTimeout(graceTimer);
          turn.signal.removeEventListener('abort', onAbort);
          if ('cut' in how) {
            for (const callId of open.calls)
              turn.emit({ kind: 'tool.result', callId, ok: false, durationMs: 0, error: how.cut });
            for (const [messageId, text] of open.streamed)
              if (text) turn.emit({ kind: 'message.agent', messageId, text, agent: turn.agent });
            turn.emit(note(turn, how.cut));
          } else if (how.error) turn.emit(note(turn, how.error));
          turn.emit({ kind: 'status', state: 'idle' });
          resolve();
        },
      };
      this.#turns.set(key, open);
      const first = !this.#threadsSeen.has(turn.threadId);
      this.#threadsSeen.add(turn.threadId);
      turn.emit({ kind: 'status', state: 'thinking' });
      this.#send({
        type: 'message',
        threadId: turn.threadId,
        turnId: turn.turnId,
        messageId: turn.messageId,
        text: turn.text,
        agent: turn.agent,
        ...(first && turn.history && transcript(turn.history)),
      });
      if (turn.signal.aborted) onAbort();
      else turn.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #receive(data: RawData, isBinary: boolean): void {
    if (this.#closed) return;
    if (!this.#admit()) {
      this.#options.log?.('an agent sent frames too fast; closing its socket');
      this.#closed = true;
      this.close(CLOSE_CODES.rateLimited, 'frames too fast');
      return;
    }
    const json = isBinary ? undefined : parseJson(rawDataText(data));
    const parsed = AgentToHostFrameSchema.safeParse(json);
    if (!parsed.success) {
      const invalidEvent = typeof json === 'object' && json !== null && (json as { type?: unknown }).type === 'event';
      const { threadId, turnId } = (json ?? {}) as { threadId?: unknown; turnId?: unknown };
      this.#refuse(invalidEvent ? 'invalid_event' : 'bad_frame', describe(parsed.error), {
        ...(typeof threadId === 'string' && threadId.length <= 64 && { threadId }),
        ...(typeof turnId === 'string' && turnId.length <= 64 && { turnId }),
      });
      return;
    }
    this.#handle(parsed.data);
  }

  #handle(frame: AgentToHostFrame): void {
    if (frame.type === 'register') {
      if (this.#registration) {
        this.#refuse('already_registered', 'This connection has registered already.');
        return;
      }
      if (frame.protocol !== undefined && frame.protocol !== AGENT_ENDPOINT_VERSION) {
        this.#send({
          type: 'error',
          code: 'protocol',
          message: `This host speaks version ${AGENT_ENDPOINT_VERSION} of the agent frames.`,
        });
        this.close(CLOSE_CODES.protocolMismatch, 'another protocol version');
        return;
      }
      const fromUrl = this.#options.agentId;
      if (fromUrl !== undefined && frame.agentId !== undefined && frame.agentId !== fromUrl) {
        this.#refuse('bad_frame', `The agentId of the URL (${fromUrl}) and of register (${frame.agentId}) differ.`);
        return;
      }
      const agentId = fromUrl ?? frame.agentId;
      if (agentId === undefined) {
        this.#refuse('bad_frame', 'Name the agent: agentId in the URL or in register.');
        return;
      }
      const registration = { agentId, label: frame.label ?? agentId, description: frame.description };
      const verdict = this.#options.register(registration);
      if (!verdict.ok) {
        this.#send({ type: 'error', code: verdict.code, message: verdict.message });
        this.close(verdict.close, verdict.code);
        return;
      }
      this.#registration = registration;
      this.#send({
        type: 'registered',
        connectionId: verdict.connectionId,
        agentId,
        protocol: AGENT_ENDPOINT_VERSION,
        ...(verdict.threadId && { threadId: verdict.threadId }),
      });
      return;
    }
    if (!this.#registration) {
      this.#refuse('not_registered', 'Send register first.');
      return;
    }
    const { threadId, turnId } = frame;
    const open = this.#turns.get(turnKey(threadId, turnId));
    if (!open) {
      this.#refuse('unknown_turn', `No turn ${turnId} of thread ${threadId} is open for this agent.`, {
        threadId,
        turnId,
      });
      return;
    }
    if (frame.type === 'done') {
      open.end(frame.error === undefined ? {} : { error: frame.error });
      return;
    }
    if (frame.type === 'permission.request') {
      this.#ask(open, frame);
      return;
    }
    const event = frame.event;
    if (event.kind === 'tool.call') open.calls.add(event.callId);
    else if (event.kind === 'tool.result') open.calls.delete(event.callId);
    else if (event.kind === 'message.delta') {
      const sofar = open.streamed.get(event.messageId) ?? '';
      // Kept only to close the message if the turn is cut short; bounded like a message.
      if (sofar.length < LIMITS.maxMessageChars) open.streamed.set(event.messageId, sofar + event.text);
    } else if (event.kind === 'message.agent') open.streamed.delete(event.messageId);
    open.emit(event);
  }

  /**
   * Asks the person on the agent's behalf and sends the agent the outcome. The host's desk writes
   * the request and the answer into the thread, and denies on its timeout or the turn's Stop.
   */
  #ask(open: OpenTurn, frame: Extract<AgentToHostFrame, { type: 'permission.request' }>): void {
    const { type: _type, threadId, turnId, requestId, ...question } = frame;
    const about = { threadId, turnId };
    if (open.asking.has(requestId)) {
      this.#refuse('bad_frame', `Permission request "${requestId}" is waiting for its answer already.`, about);
      return;
    }
    if (open.asking.size >= MAX_OPEN_PERMISSION_REQUESTS) {
      this.#refuse(
        'bad_frame',
        `At most ${MAX_OPEN_PERMISSION_REQUESTS} permission requests of a turn may wait at once.`,
        about,
      );
      return;
    }
    open.asking.add(requestId);
    void open.askPermission(question).then((outcome) => {
      open.asking.delete(requestId);
      this.#send({
        type: 'permission.answer',
        ...about,
        requestId,
        ...(outcome.outcome === 'chosen'
          ? { by: 'user', optionId: outcome.option.optionId, kind: outcome.option.kind }
          : { by: outcome.by, denied: true }),
      });
    });
  }

  /** A token bucket: `framesPerSecond`, bursts of twice as many. */
  #admit(): boolean {
    const now = performance.now();
    const capacity = this.#framesPerSecond * 2;
    this.#tokens = Math.min(capacity, this.#tokens + ((now - this.#refilledAt) / 1000) * this.#framesPerSecond);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #refuse(
    code: Extract<HostToAgentFrame, { type: 'error' }>['code'],
    message: string,
    about: { threadId?: string; turnId?: string } = {},
  ): void {
    this.#send({ type: 'error', code, message, ...about });
    if (++this.#badFrames >= MAX_BAD_FRAMES) {
      this.#closed = true;
      this.close(CLOSE_CODES.badFrames, 'too many refused frames');
    }
  }

  #send(frame: HostToAgentFrame): void {
    if (this.#socket.readyState !== this.#socket.OPEN) return;
    this.#socket.send(JSON.stringify(frame));
  }

  #closedBy(code: number): void {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    const label = this.#registration?.label ?? 'The agent';
    for (const open of [...this.#turns.values()]) open.end({ cut: `${label} disconnected before it finished.` });
    this.#options.onClose?.(code);
  }
}

function turnKey(threadId: string, turnId: string): string {
  return `${threadId}\n${turnId}`;
}

/** A closing sentence of a turn, as the agent's message. */
function note(turn: Pick<AgentSocketTurn, 'turnId' | 'agent'>, text: string): EventBody {
  return { kind: 'message.agent', messageId: `ext-${turn.turnId}-note`, text, agent: turn.agent };
}

/** The newest events of a history that fit `LIMITS.maxAgentTranscriptBytes`. */
function transcript(history: readonly EventBody[]): { transcript: EventBody[]; transcriptTruncated?: true } {
  const kept: EventBody[] = [];
  let bytes = 0;
  for (let index = history.length - 1; index >= 0; index--) {
    const event = history[index]!;
    bytes += Buffer.byteLength(JSON.stringify(event));
    if (bytes > LIMITS.maxAgentTranscriptBytes) return { transcript: kept.reverse(), transcriptTruncated: true };
    kept.push(event);
  }
  return { transcript: kept.reverse() };
}

/** The first problems of a failed parse, short. */
function describe(error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> } | undefined): string {
  if (!error) return 'Not a frame.';
  const first = error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || 'frame'}: ${issue.message}`)
    .join('; ');
  return `Not a valid frame (${first}).`.slice(0, 1000);
}

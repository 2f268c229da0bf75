import type {
  AgentToken,
  ApiToken,
  EventBody,
  LogBody,
  LogEntry,
  Runtime,
  RuntimeKind,
  RuntimeStatus,
  Thread,
  ThreadEvent,
  ThreadIssue,
  ToRuntimeMessage,
  User,
} from '@remote-chat/protocol';
import type { Lease } from './handoffs.js';
import type { StoredEvent } from './stored-event.js';
import type { UsageStore } from './usage-store.js';

export type { Lease } from './handoffs.js';

/** A runtime as stored: the public fields plus what only the BFF sees. */
export interface RuntimeRecord extends Omit<Runtime, 'project' | 'gitRemote' | 'machine'> {
  userId: string;
  /** Provider-private state (paths, ports, sandbox ids). */
  providerState: Record<string, unknown>;
  /** The last `runtime.info` the runtime sent. */
  info: Record<string, unknown> | null;
  /** The highest link seq the BFF stored from this runtime. */
  linkReceived: number;
  lastActivityAt: string | null;
}

/** An API token as the store keeps it, for authentication. */
export interface ApiTokenRecord extends ApiToken {
  userId: string;
  revokedAt: string | null;
  scope: ApiTokenScope;
  issuerId: string | null;
}

/** `full`: the API and runtime links; `machine`: runtime links only. */
export type ApiTokenScope = 'full' | 'machine';

export interface NewStreamTicket {
  ticketHash: string;
  userId: string;
  /** The page origin it was issued to, which must open the stream. */
  origin: string | null;
  expiresAt: Date;
  /** The credential that asked for it, as Auth serialises it: the stream ends when that does. */
  credential: string;
}

export interface RedeemedStreamTicket {
  userId: string;
  origin: string | null;
  /** Null for a ticket stored before credentials were recorded. */
  credential: string | null;
}

export interface NewRuntime {
  id: string;
  userId: string;
  name: string;
  kind: RuntimeKind;
  provider: string;
  repo: string | null;
  branch: string | null;
  agent: string;
}

export type RuntimePatch = Partial<{
  name: string;
  status: RuntimeStatus;
  providerState: Record<string, unknown>;
  info: Record<string, unknown> | null;
}>;

export interface ThreadRecord extends Thread {
  userId: string;
  /** Whether a person named the thread (the first message then leaves the title alone). */
  titled: boolean;
}

/** Which runtime link frame an event arrived in. */
export interface LinkReceipt {
  runtimeId: string;
  seq: number;
}

/** A message for a runtime, kept until the runtime acknowledges its link seq. */
export interface OutboundEntry {
  seq: number;
  message: ToRuntimeMessage;
}

/** What the BFF keeps of its link outbox to one runtime. */
export interface OutboundState {
  /** The highest link seq given to a message for the runtime. */
  lastSeq: number;
  /** The highest link seq the runtime acknowledged. */
  ackedUpTo: number;
  /** What it has not acknowledged, in seq order. */
  entries: OutboundEntry[];
}

/** With a new `message.user`: the message for its runtime, kept in the same transaction. */
export interface OutboundItem {
  runtimeId: string;
  /** Its link seq. */
  seq: number;
  /** The message, made from the stored event (it needs the event's seq). */
  message: (event: ThreadEvent) => ToRuntimeMessage;
  /** Messages kept right after it, under the seqs that follow (a moved thread's that its old runtime never received). */
  followedBy?: readonly ToRuntimeMessage[];
}

/** One event to append, with the link frame it came in if it came from a runtime. */
export interface AppendItem {
  body: EventBody;
  receipt?: LinkReceipt;
  /** Only for a `message.user`; kept only if the event is new (not a retry of a stored one). */
  outbound?: OutboundItem;
  /**
   * Instead of `outbound`, on an instance that does not hold the runtime's link: the message is
   * kept in `handoffs` (same transaction) until the holder numbers it into its outbox.
   */
  handoff?: Omit<OutboundItem, 'seq'>;
  /** The thread moves to this runtime in the same transaction (`POST /threads/:id/move`). */
  moveTo?: string;
  /**
   * Kept messages of a runtime replaced in the same transaction, each under its seq (inserted if
   * not kept): with `moveTo`, the thread's messages that its old runtime never received, as
   * `thread.cancel`, so that no restart sends them there. Only if the item's event is new.
   */
  rewriteOutbound?: { runtimeId: string; entries: readonly OutboundEntry[] };
}

export interface AppendResult {
  event: ThreadEvent;
  /** False when a `message.user` with the same client id was already stored. */
  created: boolean;
}

/** A thread token as stored, with whose it is; never the secret. */
export interface AgentTokenRecord extends AgentToken {
  userId: string;
  revokedAt: string | null;
}

/**
 * Users and their proofs of identity: the owner and host-site users, sessions, one-time sign-in
 * links and stream tickets, API, client-minting and machine tokens.
 */
export interface AuthStore {
  /** The owner (the first user), created on first use. */
  ensureOwner(name: string): Promise<User>;
  getUser(id: string): Promise<User | null>;

  /**
   * The user a host site brings, keyed by the host's owner and its own user id; created on first
   * use. Users of different host sites never share an account.
   */
  ensureExternalUser(externalKey: string, name: string): Promise<User>;

  createApiToken(token: {
    id: string;
    userId: string;
    name: string;
    tokenHash: string;
    expiresAt: Date | null;
    scope?: ApiTokenScope;
    issuerId?: string | null;
  }): Promise<ApiToken>;
  /** Revokes a token the given user minted for someone else; false if there is no such token. */
  revokeIssuedToken(issuerId: string, id: string, at: Date): Promise<boolean>;
  /** A user's tokens that are not revoked, newest first. */
  listApiTokens(userId: string): Promise<ApiToken[]>;
  /** Revokes a user's token; false if the user has no such token. */
  revokeApiToken(userId: string, id: string, at: Date): Promise<boolean>;
  findApiToken(tokenHash: string): Promise<ApiTokenRecord | null>;
  findApiTokenById(id: string): Promise<ApiTokenRecord | null>;
  touchApiToken(id: string, at: Date): Promise<void>;

  /** Stores a thread token (its hash) of the thread's owner. */
  createAgentToken(token: {
    id: string;
    userId: string;
    threadId: string;
    name: string;
    tokenHash: string;
  }): Promise<AgentToken>;
  /** A thread's tokens that are not revoked, newest first. */
  listAgentTokens(threadId: string): Promise<AgentToken[]>;
  /** Revokes a thread token; false if the thread has no such live token. */
  revokeAgentToken(threadId: string, id: string, at: Date): Promise<boolean>;
  findAgentToken(tokenHash: string): Promise<AgentTokenRecord | null>;
  findAgentTokenById(id: string): Promise<AgentTokenRecord | null>;
  touchAgentToken(id: string, at: Date): Promise<void>;

  createStreamTicket(ticket: NewStreamTicket): Promise<void>;
  /** Deletes the ticket and returns whom it was for if it was valid: a ticket works once. */
  consumeStreamTicket(ticketHash: string, at: Date): Promise<RedeemedStreamTicket | null>;

  createSignin(tokenHash: string, userId: string, expiresAt: Date): Promise<void>;
  /** Deletes the sign-in token and returns its user if it was valid: a link works once. */
  consumeSignin(tokenHash: string, now: Date): Promise<string | null>;
  createSession(tokenHash: string, userId: string, expiresAt: Date): Promise<void>;
  getSessionUser(tokenHash: string, now: Date): Promise<User | null>;
  deleteSession(tokenHash: string): Promise<void>;
}

/**
 * Runtimes, their logs and the BFF's link outbox to each. Deleting a runtime deletes its log,
 * outbox, threads and events with it.
 */
export interface RuntimeStore {
  createRuntime(runtime: NewRuntime): Promise<RuntimeRecord>;
  getRuntime(id: string): Promise<RuntimeRecord | null>;
  /** A user's runtimes, newest first; all runtimes when `userId` is null. */
  listRuntimes(userId: string | null): Promise<RuntimeRecord[]>;
  updateRuntime(id: string, patch: RuntimePatch): Promise<RuntimeRecord | null>;
  deleteRuntime(id: string): Promise<void>;
  /** Stores that the BFF handled the runtime's link frames up to `seq` (monotonic). */
  setLinkReceived(id: string, seq: number): Promise<void>;
  /** Stores when the runtime was last used (never moving it back); `updatedAt` stays. */
  recordActivity(id: string, at: string): Promise<void>;

  /** The BFF's link outbox to a runtime as kept: its numbering and what was not acknowledged. */
  loadOutbound(runtimeId: string): Promise<OutboundState>;
  /** Keeps messages for a runtime under their link seqs; a seq already kept is left as it is. */
  queueOutbound(runtimeId: string, entries: readonly OutboundEntry[]): Promise<void>;
  /** The runtime acknowledged everything up to `upTo`: drops it (monotonic). */
  ackOutbound(runtimeId: string, upTo: number): Promise<void>;
  /** Replaces what is kept for a runtime, after the link renumbered its outbox. */
  replaceOutbound(runtimeId: string, state: OutboundState): Promise<void>;

  /** Stores a log entry with the runtime's next log seq. */
  appendLog(runtimeId: string, body: LogBody): Promise<LogEntry>;
  /**
   * Log entries after `after`, in order: at most `limit`, and at most `maxBytes` bytes of stored
   * bodies (the first entry always, however large). @default maxBytes: no bound
   */
  listLog(runtimeId: string, after: number, limit: number, maxBytes?: number): Promise<LogEntry[]>;
}

/**
 * Several instances on one store (cluster/leases.ts): which instance holds each runtime's link (a
 * lease with a heartbeat), and the messages other instances take for it.
 */
export interface ClusterStore {
  /** Keeps messages for a runtime whose link another instance holds, in order. */
  handOff(runtimeId: string, messages: readonly ToRuntimeMessage[]): Promise<void>;
  /** Moves a runtime's handed-off messages into its outbox from link seq `firstSeq`, atomically. */
  claimHandoffs(runtimeId: string, firstSeq: number): Promise<OutboundEntry[]>;
  /** Takes the runtime's lease when free, expired or this instance's (always with `force`). */
  takeLease(runtimeId: string, instanceId: string, ttlMs: number, force: boolean): Promise<boolean>;
  /** Extends this instance's leases; returns the runtime ids it still held. */
  renewLeases(instanceId: string, runtimeIds: readonly string[], ttlMs: number): Promise<string[]>;
  /** Lets go of this instance's leases on `runtimeIds`, or of all of them. */
  releaseLeases(instanceId: string, runtimeIds?: readonly string[]): Promise<void>;
  getLease(runtimeId: string): Promise<Lease | null>;
}

/** Threads and their events. */
export interface ThreadStore {
  createThread(thread: {
    id: string;
    runtimeId: string;
    userId: string;
    title: string;
    titled: boolean;
    /** The GitHub issue it starts from. @default none */
    issue?: ThreadIssue | null;
  }): Promise<ThreadRecord>;
  getThread(id: string): Promise<ThreadRecord | null>;
  /** A runtime's threads, most recently active first. */
  listThreads(runtimeId: string): Promise<ThreadRecord[]>;
  /**
   * Renames a thread (`title`, with `titled`: whether a person named it; the rename counts as
   * activity) and/or archives it (`archivedAt`: when, or null to unarchive).
   */
  updateThread(
    id: string,
    patch: { title?: string; titled?: boolean; archivedAt?: string | null },
  ): Promise<ThreadRecord | null>;
  /** Deletes a thread, its events and its thread tokens; false if there was no such thread. */
  deleteThread(id: string): Promise<boolean>;

  /**
   * Stores an event with the thread's next seq. A `message.user` whose client id is already in
   * the thread is not stored again; the stored one comes back with `created: false`.
   * With `receipt`, the runtime's link seq is recorded in the same transaction, so after a crash
   * the BFF neither loses nor stores twice an event the runtime resends.
   */
  appendEvent(threadId: string, body: EventBody, receipt?: LinkReceipt): Promise<AppendResult>;
  /**
   * Appends several events in one transaction (a group commit), in order, with consecutive seqs.
   * The results are in the order of `items`. An item's `outbound` is kept in the same
   * transaction when its event is new: a user message stored is a user message that will reach
   * its runtime. `at` is when the events were made (default: now).
   */
  appendEvents(threadId: string, items: readonly AppendItem[], at?: string): Promise<AppendResult[]>;
  /**
   * Resolves once every event appended so far survives a power loss. An append resolves at its
   * commit, which a process kill never undoes; SQLite with `synchronous: 'full'` makes the commits
   * power-safe after it, in groups, off the event loop. Elsewhere commits are durable already.
   */
  durable(): Promise<void>;
  /**
   * Events after `after`, in order: at most `limit`, and at most `maxBytes` bytes of stored bodies
   * (the first event always, however large). @default maxBytes: no bound
   */
  listEvents(threadId: string, after: number, limit: number, maxBytes?: number): Promise<ThreadEvent[]>;
  /** The same page as `listEvents`, as stored: bodies unparsed, for the stream's replay. */
  listStoredEvents(threadId: string, after: number, limit: number, maxBytes?: number): Promise<StoredEvent[]>;
  /** The thread's event with this unique key (`uniqueKeyOf`: a client id, a permission request's), or null. */
  findEvent(threadId: string, key: string): Promise<ThreadEvent | null>;
}

/**
 * Everything the BFF keeps: the three aggregates over one database. Two implementations (SQLite
 * and Postgres) pass the same test suite. Every method that appends assigns the seq in the same
 * transaction that stores the entry, so a seq is never handed out for an entry that was not stored.
 * A part of the BFF that needs one aggregate takes its interface.
 */
export interface Store extends AuthStore, RuntimeStore, ThreadStore, UsageStore, ClusterStore {
  /** `sqlite` or `postgres`, for messages and benchmarks. */
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * The last process to use the database did not close it (a kill, a crash, a power loss), and it
   * may have shown events that a power loss undid (SQLite with `synchronous: 'full'`: `durable`).
   */
  readonly unclean: boolean;
  close(): Promise<void>;
}

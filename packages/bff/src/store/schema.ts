import type { Generated } from 'kysely';

/** Postgres returns bigint columns as strings; SQLite as numbers. */
export const num = (value: number | string | bigint): number => Number(value);
/** A timestamp column's value for this moment. */
export const now = (): string => new Date().toISOString();

/** Table types for Kysely. Timestamps are ISO strings; JSON columns hold text. */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  signin_tokens: SigninTokensTable;
  runtimes: RuntimesTable;
  runtime_log: RuntimeLogTable;
  threads: ThreadsTable;
  events: EventsTable;
  api_tokens: ApiTokensTable;
  agent_tokens: AgentTokensTable;
  stream_tickets: StreamTicketsTable;
  outbound: OutboundTable;
  runtime_leases: RuntimeLeasesTable;
  handoffs: HandoffsTable;
  model_usage: ModelUsageTable;
}

/**
 * Tokens used through the execution gateway, summed per user, UTC day, runtime, thread and model.
 * No foreign key to runtimes or threads: deleting them leaves the usage (and the budget spent).
 */
export interface ModelUsageTable {
  user_id: string;
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  runtime_id: string;
  /** '' for calls that named no thread. */
  thread_id: string;
  /** The configured model id. */
  model: string;
  input_tokens: number;
  output_tokens: number;
  /** Calls counted. */
  requests: number;
}

/** A message for a runtime, kept under its link seq until the runtime acknowledges it. */
export interface OutboundTable {
  runtime_id: string;
  seq: number;
  /** The ToRuntimeMessage as JSON. */
  message: string;
}

/** Which instance of a cluster holds a runtime's link, until when (ms since the epoch). */
export interface RuntimeLeasesTable {
  runtime_id: string;
  instance_id: string;
  expires_at: number;
}

/**
 * A message for a runtime taken by an instance that does not hold its link, until the holder
 * moves it into `outbound` under its next link seq (in one transaction).
 */
export interface HandoffsTable {
  /** Sorts in the order the messages were taken (`handoffKey`). */
  id: string;
  runtime_id: string;
  /** The ToRuntimeMessage as JSON. */
  message: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  /** SHA-256 of the token; the token is shown once and never stored. */
  token_hash: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  /** `full`: the API; `machine`: runtime links only. */
  scope: Generated<string>;
  /** The user whose API token minted this one (a host site's server), if not the owner itself. */
  issuer_id: string | null;
}

/** Thread tokens: a self-run agent answers one thread with one (`/api/agent`). Gone with the thread. */
export interface AgentTokensTable {
  id: string;
  user_id: string;
  thread_id: string;
  name: string;
  /** SHA-256 of the token; the token is shown once and never stored. */
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface StreamTicketsTable {
  ticket_hash: string;
  user_id: string;
  /** The page origin the ticket was issued to; the WebSocket must come from it. */
  origin: string | null;
  expires_at: string;
  /** The credential that asked for the ticket (auth's JSON), so the stream ends when it does. */
  credential: string | null;
}

export interface UsersTable {
  id: string;
  name: string;
  /** `owner` for the person who runs the BFF; `external` for users a host site brings. */
  role: string;
  /** The host site's own id for an external user. */
  external_id: string | null;
  created_at: string;
}

export interface SessionsTable {
  /** SHA-256 of the cookie value; the value itself is never stored. */
  token_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
}

export interface SigninTokensTable {
  token_hash: string;
  user_id: string;
  expires_at: string;
}

export interface RuntimesTable {
  id: string;
  user_id: string;
  name: string;
  kind: string;
  provider: string;
  status: string;
  repo: string | null;
  branch: string | null;
  agent: string;
  /** The newest runtime-log seq; bumped in the transaction that stores the entry. */
  log_seq: number;
  /** Provider-private JSON: where the runtime lives and how to reach it. */
  provider_state: string;
  /** JSON from the runtime's last `runtime.info`. */
  info: string | null;
  /** The last link seq the BFF handled from the runtime, for resends after a restart. */
  link_received: number;
  /** The highest link seq the runtime acknowledged of what the BFF sent it (table `outbound`). */
  outbound_acked: Generated<number>;
  created_at: string;
  updated_at: string;
  /** When the runtime was last used (the idle window's start), saved at most once a minute. */
  last_activity_at: string | null;
}

export interface RuntimeLogTable {
  runtime_id: string;
  seq: number;
  body: string;
  created_at: string;
}

export interface ThreadsTable {
  id: string;
  runtime_id: string;
  user_id: string;
  title: string;
  /** Whether the title was set by a person (then the first message does not replace it). */
  titled: Generated<number>;
  /** The GitHub issue it started from (`ThreadIssue` as JSON), or null. */
  issue: string | null;
  last_seq: number;
  created_at: string;
  updated_at: string;
  /** When the user archived it, or null. */
  archived_at: string | null;
}

export interface EventsTable {
  thread_id: string;
  seq: number;
  kind: string;
  body: string;
  /** The client id of a `message.user`, unique per thread, so retries store once. */
  client_id: string | null;
  created_at: string;
}

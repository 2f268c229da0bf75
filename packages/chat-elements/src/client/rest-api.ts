import {
  AgentTokenListResponseSchema,
  ApiTokenListResponseSchema,
  ConfigResponseSchema,
  CreatedAgentTokenSchema,
  CreatedApiTokenSchema,
  EventPageResponseSchema,
  GITHUB_TOKEN_HEADER,
  GitHubBranchPageSchema,
  GitHubIssuePageSchema,
  GitHubRepoPageSchema,
  GitHubUserSchema,
  LogPageResponseSchema,
  PermissionAnswerResponseSchema,
  PushResponseSchema,
  RuntimeListResponseSchema,
  RuntimeSchema,
  SendMessageResponseSchema,
  StreamTicketResponseSchema,
  ThreadListResponseSchema,
  ThreadSchema,
  UploadedFileSchema,
  UsageResponseSchema,
  type AgentToken,
  type ApiToken,
  type ConfigResponse,
  type CreateApiTokenRequest,
  type CreatedAgentToken,
  type CreatedApiToken,
  type CreateRuntimeRequest,
  type MoveThreadRequest,
  type CreateThreadRequest,
  type EventPageResponse,
  type GitHubBranchPage,
  type GitHubIssuePage,
  type GitHubRepoPage,
  type GitHubUser,
  type LogPageResponse,
  type PermissionAnswerResponse,
  type PushRequest,
  type PushResponse,
  type Runtime,
  type SendMessageRequest,
  type SendMessageResponse,
  type StreamTicketResponse,
  type Thread,
  type UpdateThreadRequest,
  type UploadedFile,
  type UsageResponse,
} from '@remote-chat/protocol';
import { RcTokenExpiredEvent } from '../events/token-expired-event.js';
import type { TokenSource } from './bearer-token.js';
import { newClientId } from './client-id.js';
import { RestTransport, type RequestOptions } from './rest-transport.js';
import { SEND_RETRY, retrySend } from './send-retry.js';
import { TokenSession } from './token-session.js';

export interface RestApiOptions {
  /**
   * The origin (and path prefix, if the BFF is mounted under one) of the BFF.
   * @default location.origin
   */
  bffUrl?: string;
  /**
   * Where the BFF's routes are mounted below `bffUrl`.
   * @default "/api"
   */
  apiPath?: string;
  /**
   * How the client proves who it is when the page is on another origin than the BFF: a client
   * token (`rcc_…`) that the host site's backend got from the BFF's `POST /api/client-tokens`,
   * or, better, a function that gets a fresh one (see {@link TokenProvider}). It is sent as
   * `Authorization: Bearer` on every REST call, with no cookies; it is refreshed shortly before
   * its `expiresAt`, and once after the BFF refuses it; and every attempt to open the stream
   * first fetches a one-time ticket with it (`POST /api/stream-tickets`), so no long-lived secret
   * is ever put in a URL.
   *
   * Without it the client relies on the BFF's session cookie, which only a page of the BFF's
   * own origin (or a proxy of it) has.
   * @default undefined
   */
  token?: TokenSource;
  /**
   * The fetch function for REST calls.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
}

/** A page of a seq-numbered list. */
export interface PageOptions extends RequestOptions {
  /** Entries with a seq above this one. @default 0 */
  after?: number;
  /** At most this many entries. @default the BFF's page size (1000) */
  limit?: number;
}

/** A page of a GitHub list, and the text it is searched for. */
export interface GitHubPageOptions extends RequestOptions {
  /** Only what matches this text. @default "" */
  q?: string;
  /** Which page, from 1. @default 1 */
  page?: number;
}

/** A message to send. */
export interface OutgoingMessage {
  text: string;
  /** Which agent answers; the runtime's default agent when omitted. */
  agent?: string;
  /**
   * The id that makes sending idempotent; a fresh one when omitted. Pass your own to show the
   * message before the BFF confirms it, and to retry it later without storing it twice.
   */
  clientId?: string;
}

/** Options of `sendMessage`. */
export interface SendOptions extends RequestOptions {
  /**
   * How many times to send the message in all while the failure is one that may pass (no answer,
   * a 5xx, a 429), with backoff in between. `1` sends it once, for a caller that retries by
   * itself, such as `<rc-chat>`'s send queue: one layer owns the retry, and the requests do not
   * multiply.
   * @default 4
   */
  attempts?: number;
}

/**
 * The BFF's REST routes, one method each, typed and validated against the protocol: the half of
 * `RemoteChatClient` that needs no socket. Fires `rc-token-expired` when the token lapses.
 */
export class RestApi extends EventTarget {
  /** The BFF origin (and prefix) this client talks to, without a trailing slash. */
  readonly bffUrl: string;
  protected readonly tokens: TokenSession;
  protected readonly rest: RestTransport;

  constructor(options: RestApiOptions) {
    super();
    const origin = options.bffUrl ?? globalThis.location?.origin;
    if (!origin) throw new TypeError('RemoteChatClient: bffUrl is required outside a browser page');
    this.bffUrl = origin.replace(/\/+$/, '');
    const apiBase = this.bffUrl + '/' + (options.apiPath ?? '/api').replace(/^\/+|\/+$/g, '');
    const fetchFn = options.fetch ?? globalThis.fetch;
    this.tokens = new TokenSession(options.token, (detail) => this.dispatchEvent(new RcTokenExpiredEvent(detail)));
    this.rest = new RestTransport(apiBase, (input, init) => fetchFn(input, init), this.tokens);
  }

  /**
   * `GET /api/config`: what this BFF offers, and who is signed in (`user` is null if nobody).
   * The BFF answers this route even to a token it does not accept, with `user: null`; in token
   * mode that counts as a refusal, so the token is refreshed once and the call repeated.
   */
  async getConfig(options?: RequestOptions): Promise<ConfigResponse> {
    const sent = await this.tokens.current();
    const config = await this.rest.request('GET', '/config', ConfigResponseSchema, options);
    if (config.user && sent) this.tokens.clearLapse();
    if (config.user || !sent) return config;
    const fresh = await this.tokens.renew(sent);
    const again =
      fresh === undefined ? config : await this.rest.request('GET', '/config', ConfigResponseSchema, options);
    if (again.user) this.tokens.clearLapse();
    else this.tokens.lapse('refused', 'The chat server did not accept the sign-in token this page gave it.', again);
    return again;
  }

  /** `GET /api/runtimes` */
  async listRuntimes(options?: RequestOptions): Promise<Runtime[]> {
    return (await this.rest.request('GET', '/runtimes', RuntimeListResponseSchema, options)).runtimes;
  }

  /** `POST /api/runtimes`: starts making a runtime; it answers at once with status `starting`. */
  createRuntime(body: CreateRuntimeRequest, options?: RequestOptions): Promise<Runtime> {
    return this.rest.request('POST', '/runtimes', RuntimeSchema, { ...options, body });
  }

  /** `GET /api/runtimes/:id` */
  getRuntime(runtimeId: string, options?: RequestOptions): Promise<Runtime> {
    return this.rest.request('GET', `/runtimes/${enc(runtimeId)}`, RuntimeSchema, options);
  }

  /** `PATCH /api/runtimes/:id`: renames the runtime (trimmed, 1 to 60 characters). */
  renameRuntime(runtimeId: string, name: string, options?: RequestOptions): Promise<Runtime> {
    return this.rest.request('PATCH', `/runtimes/${enc(runtimeId)}`, RuntimeSchema, { ...options, body: { name } });
  }

  /**
   * `POST /api/runtimes/:id/start`: starts a stopped sandbox again in its kept workspace; it
   * answers at once with status `starting`, and its threads carry on once it is ready.
   */
  startRuntime(runtimeId: string, options?: RequestOptions): Promise<Runtime> {
    return this.rest.request('POST', `/runtimes/${enc(runtimeId)}/start`, RuntimeSchema, options);
  }

  /** `DELETE /api/runtimes/:id`: stops the runtime and deletes it. */
  async deleteRuntime(runtimeId: string, options?: RequestOptions): Promise<void> {
    await this.rest.request('DELETE', `/runtimes/${enc(runtimeId)}`, null, options);
  }

  /** `GET /api/runtimes/:id/log?after=N`: runtime-log entries after a seq, in order. */
  getRuntimeLog(runtimeId: string, options?: PageOptions): Promise<LogPageResponse> {
    const path = `/runtimes/${enc(runtimeId)}/log${pageQuery(options)}`;
    return this.rest.request('GET', path, LogPageResponseSchema, options);
  }

  /** `GET /api/runtimes/:id/threads` */
  async listThreads(runtimeId: string, options?: RequestOptions): Promise<Thread[]> {
    const path = `/runtimes/${enc(runtimeId)}/threads`;
    return (await this.rest.request('GET', path, ThreadListResponseSchema, options)).threads;
  }

  /** `POST /api/runtimes/:id/threads` */
  createThread(runtimeId: string, body: CreateThreadRequest = {}, options?: RequestOptions): Promise<Thread> {
    return this.rest.request('POST', `/runtimes/${enc(runtimeId)}/threads`, ThreadSchema, { ...options, body });
  }

  /** `PATCH /api/threads/:id` */
  renameThread(threadId: string, title: string, options?: RequestOptions): Promise<Thread> {
    return this.updateThread(threadId, { title }, options);
  }

  /** `PATCH /api/threads/:id`: renames, archives (`archived: true`) or unarchives a thread. */
  updateThread(threadId: string, body: UpdateThreadRequest, options?: RequestOptions): Promise<Thread> {
    return this.rest.request('PATCH', `/threads/${enc(threadId)}`, ThreadSchema, { ...options, body });
  }

  /**
   * `POST /api/threads/:id/move`: the thread continues on another of the user's runtimes (same id
   * and events); that runtime is handed the conversation so far. Answers with the moved thread.
   */
  moveThread(threadId: string, runtimeId: string, options?: RequestOptions): Promise<Thread> {
    const body: MoveThreadRequest = { runtimeId };
    return this.rest.request('POST', `/threads/${enc(threadId)}/move`, ThreadSchema, { ...options, body });
  }

  /** `DELETE /api/threads/:id`: deletes a thread with its events and thread tokens. */
  async deleteThread(threadId: string, options?: RequestOptions): Promise<void> {
    await this.rest.request('DELETE', `/threads/${enc(threadId)}`, null, options);
  }

  /** `GET /api/threads/:id/events?after=N&limit=M`: a thread's events after a seq, in order. */
  getThreadEvents(threadId: string, options?: PageOptions): Promise<EventPageResponse> {
    const path = `/threads/${enc(threadId)}/events${pageQuery(options)}`;
    return this.rest.request('GET', path, EventPageResponseSchema, options);
  }

  /**
   * `POST /api/threads/:id/messages`. The message carries a client id (generated unless given),
   * so the request is retried with backoff after a network failure or a 5xx (see `attempts`)
   * without any risk of storing the message twice.
   */
  async sendMessage(threadId: string, message: OutgoingMessage, options?: SendOptions): Promise<SendMessageResponse> {
    const body: SendMessageRequest = { clientId: message.clientId ?? newClientId(), text: message.text };
    if (message.agent) body.agent = message.agent;
    const path = `/threads/${enc(threadId)}/messages`;
    const { attempts = SEND_RETRY.attempts, ...request } = options ?? {};
    return retrySend(
      () => this.rest.request('POST', path, SendMessageResponseSchema, { ...request, body }),
      attempts,
      request.signal,
    );
  }

  /** `POST /api/threads/:id/cancel`: stops what the agent is doing in this thread. */
  async cancel(threadId: string, options?: RequestOptions): Promise<void> {
    await this.rest.request('POST', `/threads/${enc(threadId)}/cancel`, null, { ...options, body: {} });
  }

  /**
   * `POST /api/threads/:threadId/permissions/:requestId`: answers an agent's permission request
   * with one of its options. The first answer from any browser wins: a request answered before
   * (by another browser, or denied by the timeout) fails with a `ChatClientError` of code
   * `conflict` whose `data.answer` is the stored answer.
   */
  answerPermission(
    threadId: string,
    requestId: string,
    optionId: string,
    options?: RequestOptions,
  ): Promise<PermissionAnswerResponse> {
    const path = `/threads/${enc(threadId)}/permissions/${enc(requestId)}`;
    return this.rest.request('POST', path, PermissionAnswerResponseSchema, { ...options, body: { optionId } });
  }

  /**
   * `POST /api/threads/:id/uploads?name=…`: puts a file (a pasted screenshot, say) into the
   * workspace of the thread's runtime; answers the workspace-relative path it was saved at.
   */
  uploadFile(threadId: string, file: Blob & { name?: string }, options?: RequestOptions): Promise<UploadedFile> {
    const name = encodeURIComponent(file.name || 'pasted-file');
    return this.rest.request('POST', `/threads/${enc(threadId)}/uploads?name=${name}`, UploadedFileSchema, {
      ...options,
      body: file,
    });
  }

  /**
   * `GET /api/usage`: the signed-in person's model usage through the execution gateway: today's
   * (UTC) and all-time tokens and calls, per model and per thread, and the daily token budget.
   */
  getUsage(options?: RequestOptions): Promise<UsageResponse> {
    return this.rest.request('GET', '/usage', UsageResponseSchema, options);
  }

  /** `GET /api/tokens`: the signed-in person's API tokens (session cookie only; never the secrets). */
  async listApiTokens(options?: RequestOptions): Promise<ApiToken[]> {
    return (await this.rest.request('GET', '/tokens', ApiTokenListResponseSchema, options)).tokens;
  }

  /** `POST /api/tokens`: a new API token. The answer's `token` is the secret, shown this once. */
  createApiToken(body: CreateApiTokenRequest, options?: RequestOptions): Promise<CreatedApiToken> {
    return this.rest.request('POST', '/tokens', CreatedApiTokenSchema, { ...options, body });
  }

  /** `DELETE /api/tokens/:id`: revokes an API token, and every client token minted with it. */
  async revokeApiToken(tokenId: string, options?: RequestOptions): Promise<void> {
    await this.rest.request('DELETE', `/tokens/${enc(tokenId)}`, null, options);
  }

  /**
   * `POST /api/threads/:threadId/agent-tokens`: a thread token with which a self-run agent process
   * answers this thread (see docs/agent-protocol.md). The answer's `token` is shown this once.
   */
  createAgentToken(threadId: string, name?: string, options?: RequestOptions): Promise<CreatedAgentToken> {
    return this.rest.request('POST', `/threads/${enc(threadId)}/agent-tokens`, CreatedAgentTokenSchema, {
      ...options,
      body: name === undefined ? {} : { name },
    });
  }

  /** `GET /api/threads/:threadId/agent-tokens`: the thread's tokens, without their secrets. */
  async listAgentTokens(threadId: string, options?: RequestOptions): Promise<AgentToken[]> {
    return (
      await this.rest.request('GET', `/threads/${enc(threadId)}/agent-tokens`, AgentTokenListResponseSchema, options)
    ).tokens;
  }

  /** `DELETE /api/threads/:threadId/agent-tokens/:tokenId`: revokes it; its agent is cut off at once. */
  async revokeAgentToken(threadId: string, tokenId: string, options?: RequestOptions): Promise<void> {
    await this.rest.request('DELETE', `/threads/${enc(threadId)}/agent-tokens/${enc(tokenId)}`, null, options);
  }

  // GitHub, through the BFF. The token is the user's own, kept in their browser; it is sent in the
  // `X-GitHub-Token` header of each of these requests and the BFF keeps it no longer than the
  // request. GitHub refusing it answers `github_unauthorized` (403), a spent rate limit
  // `github_rate_limited` (429, `data.resetAt`), GitHub out of reach `github_unavailable` (502).

  /**
   * Where the GitHub sign-in popup starts: `GET /api/github/oauth/start?origin=…`. The BFF's
   * callback posts the token (`rc-github-token`) to the page of that origin.
   * @param origin The opening page's origin. @default location.origin
   */
  githubSignInUrl(origin: string = globalThis.location?.origin ?? ''): string {
    return `${this.rest.apiBase}/github/oauth/start?origin=${encodeURIComponent(origin)}`;
  }

  /** `GET /api/github/user`: who the token belongs to. */
  getGitHubUser(token: string, options?: RequestOptions): Promise<GitHubUser> {
    return this.rest.request('GET', '/github/user', GitHubUserSchema, { ...options, headers: githubHeader(token) });
  }

  /** `GET /api/github/repos?q&page`: the user's and their organisations' repositories, best first. */
  listGitHubRepos(token: string, options?: GitHubPageOptions): Promise<GitHubRepoPage> {
    return this.rest.request('GET', `/github/repos${githubQuery(options)}`, GitHubRepoPageSchema, {
      ...options,
      headers: githubHeader(token),
    });
  }

  /** `GET /api/github/repos/:owner/:repo/branches?page`: a page of a repository's branches. */
  listGitHubBranches(token: string, repo: string, options?: GitHubPageOptions): Promise<GitHubBranchPage> {
    return this.rest.request(
      'GET',
      `/github/repos/${repoPath(repo)}/branches${githubQuery(options)}`,
      GitHubBranchPageSchema,
      {
        ...options,
        headers: githubHeader(token),
      },
    );
  }

  /** `GET /api/github/repos/:owner/:repo/issues?q&page`: a page of its open issues, newest first. */
  listGitHubIssues(token: string, repo: string, options?: GitHubPageOptions): Promise<GitHubIssuePage> {
    return this.rest.request(
      'GET',
      `/github/repos/${repoPath(repo)}/issues${githubQuery(options)}`,
      GitHubIssuePageSchema,
      {
        ...options,
        headers: githubHeader(token),
      },
    );
  }

  /**
   * `POST /api/threads/:id/push`: the thread's runtime commits its workspace if it changed and
   * pushes it to a new branch, with the token for that one command; answers where to open a pull
   * request.
   */
  pushThread(threadId: string, body: PushRequest, options?: RequestOptions): Promise<PushResponse> {
    return this.rest.request('POST', `/threads/${enc(threadId)}/push`, PushResponseSchema, { ...options, body });
  }

  /**
   * `POST /api/stream-tickets`: a one-time ticket, valid for seconds, that opens
   * `WS /api/stream?ticket=…` from this page's origin. The stream fetches its own; this is for
   * clients that open a socket themselves.
   */
  createStreamTicket(options?: RequestOptions): Promise<StreamTicketResponse> {
    return this.rest.request('POST', '/stream-tickets', StreamTicketResponseSchema, { ...options, body: {} });
  }
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

function githubHeader(token: string): Record<string, string> {
  return { [GITHUB_TOKEN_HEADER]: token };
}

/** `owner/name` as two path segments. */
function repoPath(repo: string): string {
  return repo.split('/').map(enc).join('/');
}

function githubQuery(options: GitHubPageOptions | undefined): string {
  const query = new URLSearchParams();
  if (options?.q) query.set('q', options.q);
  if (options?.page !== undefined && options.page > 1) query.set('page', String(options.page));
  const s = query.toString();
  return s ? `?${s}` : '';
}

function pageQuery(options: PageOptions | undefined): string {
  const query = new URLSearchParams();
  if (options?.after !== undefined) query.set('after', String(options.after));
  if (options?.limit !== undefined) query.set('limit', String(options.limit));
  const s = query.toString();
  return s ? `?${s}` : '';
}

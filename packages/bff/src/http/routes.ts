import express, { type NextFunction, type Request, type Response } from 'express';
import {
  CreateAgentTokenRequestSchema,
  CreateApiTokenRequestSchema,
  CreateClientTokenRequestSchema,
  CreateMachineTokenRequestSchema,
  CreateRuntimeRequestSchema,
  CreateThreadRequestSchema,
  EventPageQuerySchema,
  IdParamsSchema,
  LIMITS,
  LogPageQuerySchema,
  MoveThreadRequestSchema,
  PROTOCOL_VERSION,
  PermissionAnswerRequestSchema,
  PermissionParamsSchema,
  PushRequestSchema,
  SendMessageRequestSchema,
  UpdateRuntimeRequestSchema,
  UpdateThreadRequestSchema,
  uploadName,
  type AgentTokenListResponse,
  type ApiTokenListResponse,
  type ClientTokenResponse,
  type ConfigResponse,
  type StreamTicketResponse,
  type EventPageResponse,
  type LogPageResponse,
  type RuntimeListResponse,
  type SendMessageResponse,
  type ThreadListResponse,
  type UploadedFile,
  type AcpAgentConfig,
  type PermissionAnswerResponse,
  type PushResponse,
  type ModelInfo,
  type UsageResponse,
} from '@remote-chat/protocol';
import type { z } from 'zod';
import type { Auth, Caller } from '../auth.js';
import type { ThreadAgents } from '../thread-agents.js';
import { RemoteChatError, notFound } from '../errors.js';
import type { EntryWriter } from '../entry-writer.js';
import { type Provider, pausesWhenIdle } from '../providers/provider.js';
import { assertMayUseProvider, mayUseProvider } from '../providers/provider-access.js';
import type { Runtimes } from '../runtimes/runtimes.js';
import { newId } from '../secrets.js';
import type { RuntimeRecord, Store, ThreadRecord } from '../store/store.js';
import { requireRuntime, requireThread } from '../ownership.js';
import { permissionRequestKey } from '../store/append-batch.js';
import { jsonBody } from './json-body.js';
import { usageDay } from '../store/usage-store.js';
import { isAllowedOrigin } from './origins.js';
import type { RateLimiter } from '../rate-limiter.js';
import { rateLimit } from './rate-limit.js';
import { createGitHubRoutes, type GitHubRoutesDeps } from '../github/github-routes.js';

export interface RoutesDeps {
  store: Store;
  auth: Auth;
  writer: EntryWriter;
  runtimes: Runtimes;
  providers: ReadonlyMap<string, Provider>;
  allowedOrigins: readonly string[];
  /** Self-run agents connected with thread tokens. */
  threadAgents: ThreadAgents;
  /** Limits token minting per address. */
  tokenLimiter: RateLimiter;
  /** Limits failed authentications per address. */
  failedAuthLimiter: RateLimiter;
  /** The models of the execution gateway; each is an `llm:<id>` agent, the first also `llm`. */
  models: readonly ModelInfo[];
  /** The per-user daily token budget, if any. */
  dailyTokens: number | undefined;
  /** The ACP agents sandbox runtimes are configured with. */
  acpAgents: readonly AcpAgentConfig[];
  /** How long a sandbox may sit idle before it is paused or stopped (`GET /config` says so). */
  idleTimeoutMs: number;
  /** GitHub sign-in and its API, when configured. @default off */
  github?: Pick<GitHubRoutesDeps, 'api' | 'oauth'> & { webUrl: string };
}

/** Threads `GET /usage` lists at most. */
const USAGE_THREADS = 100;

/**
 * The agents `GET /config` lists: the shell, the `llm` agent of each model when there is one, and
 * the configured ACP agents (which a runtime runs where it finds their command: `Runtime.agents`).
 */
function agentsOffered(models: readonly ModelInfo[], acpAgents: readonly AcpAgentConfig[]): ConfigResponse['agents'] {
  const shell = {
    id: 'shell',
    label: 'Shell',
    description: 'Runs each message as a bash command line in the workspace.',
    kind: 'built-in' as const,
  };
  const acp = acpAgents.map((agent) => ({
    id: agent.id,
    label: agent.label ?? agent.id,
    description: `An ACP agent (${agent.command}); its model calls go through this server.`,
    kind: 'acp' as const,
  }));
  const first = models[0];
  if (!first) return [shell, ...acp];
  const coding = 'A coding agent: reads, edits and runs what the workspace holds.';
  return [
    shell,
    {
      id: 'llm',
      label: first.label,
      description: `${coding} Uses ${first.label}, the first model configured.`,
      kind: 'built-in',
    },
    ...models.map((model) => ({
      id: `llm:${model.id}`,
      label: model.label,
      description: `${coding} Uses ${model.label}.`,
      kind: 'built-in' as const,
    })),
    ...acp,
  ];
}

/** Parses with a protocol schema or answers 400 with the fields that failed. */
function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new RemoteChatError(
    'bad_request',
    `Invalid ${what}: ${result.error.issues.map((i) => `${i.path.join('.') || what} ${i.message}`).join('; ')}.`,
    { issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
  );
}

type Handler = (req: Request, res: Response, caller: Caller) => Promise<void>;

/**
 * The REST routes under the mount path. Each handler validates its input with the protocol
 * schemas, checks ownership through the services (which answer not_found for other users'
 * resources), and answers JSON.
 */
export function createRoutes(deps: RoutesDeps): express.Router {
  const { store, auth, writer, runtimes, providers, threadAgents } = deps;
  const router = express.Router();
  const json = jsonBody(LIMITS.maxBodyBytes);
  // Uploads carry the file itself as the body, whatever its type.
  router.use((req, res, next) => (req.path.endsWith('/uploads') ? next() : json(req, res, next)));

  const credentials = (req: Request) => ({
    cookie: req.headers.cookie,
    authorization: req.headers.authorization,
    origin: req.headers.origin,
  });

  /** Runs a handler for an authenticated caller, optionally only for some kinds of proof. */
  const authed =
    (handler: Handler, only?: ReadonlyArray<Caller['via']>) =>
    async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        const caller = await auth.authenticate(credentials(req));
        if (!caller) {
          // Guessing tokens costs: failures draw from the caller's rate-limit bucket.
          const wait = deps.failedAuthLimiter.take(req.ip ?? 'unknown');
          if (wait > 0) {
            res.setHeader('Retry-After', String(wait));
            throw new RemoteChatError('rate_limited', `Too many failed attempts; try again in ${wait} s.`);
          }
          throw new RemoteChatError(
            'unauthorized',
            'Sign in first: open the sign-in link the server printed, or send a valid token.',
          );
        }
        if (only && !only.includes(caller.via))
          throw new RemoteChatError('forbidden', 'This route needs another kind of sign-in.');
        if (caller.scope === 'machine')
          throw new RemoteChatError('forbidden', 'A machine token only connects machines.');
        // Cookies ride along on cross-site requests; writes must come from an allowed page.
        if (
          caller.via === 'session' &&
          req.method !== 'GET' &&
          req.method !== 'HEAD' &&
          !isAllowedOrigin(req, deps.allowedOrigins)
        ) {
          throw new RemoteChatError('forbidden', 'This origin may not change anything here.');
        }
        await handler(req, res, caller);
      } catch (error) {
        next(error);
      }
    };

  /** The caller's thread named by the route, or not_found. */
  function ownThread(caller: Caller, id: unknown): Promise<ThreadRecord> {
    return requireThread(store, caller.user.id, parse(IdParamsSchema, { id }, 'thread id').id);
  }

  function runtimeId(req: Request): string {
    return parse(IdParamsSchema, req.params, 'runtime id').id;
  }

  /** The caller's runtime `id` when the caller may use its provider: else not_found, or forbidden. */
  async function usableRuntime(caller: Caller, id: string): Promise<RuntimeRecord> {
    const runtime = await requireRuntime(store, caller.user.id, id);
    assertMayUseProvider(providers, caller, runtime.provider);
    return runtime;
  }

  /** The caller's runtime named by the route's `:id`, or not_found. */
  function ownRuntime(caller: Caller, req: Request): Promise<RuntimeRecord> {
    return requireRuntime(store, caller.user.id, runtimeId(req));
  }

  router.get('/config', async (req, res, next) => {
    try {
      const caller = await auth.authenticate(credentials(req));
      const body: ConfigResponse = {
        protocol: PROTOCOL_VERSION,
        user: caller?.user ?? null,
        // Only what this caller may use: the owner's own providers stay off a host site's picker.
        providers: [...providers.values()]
          .filter((p) => mayUseProvider(p, caller))
          .map((p) => ({
            id: p.id,
            label: p.label,
            kind: p.kind,
            description: p.description,
            pausesWhenIdle: pausesWhenIdle(p),
          })),
        agents: agentsOffered(deps.models, deps.acpAgents),
        github: deps.github ? { enabled: true, webUrl: deps.github.webUrl } : { enabled: false },
        limits: {
          maxMessageChars: LIMITS.maxMessageChars,
          maxBodyBytes: LIMITS.maxBodyBytes,
          idleTimeoutMs: deps.idleTimeoutMs,
        },
      };
      res.json(body);
    } catch (error) {
      next(error);
    }
  });

  router.get(
    '/runtimes',
    authed(async (_req, res, caller) => {
      const list = await store.listRuntimes(caller.user.id);
      res.json({ runtimes: list.map((r) => runtimes.toPublic(r)) } satisfies RuntimeListResponse);
    }),
  );

  router.post(
    '/runtimes',
    authed(async (req, res, caller) => {
      const body = parse(CreateRuntimeRequestSchema, req.body, 'runtime');
      assertMayUseProvider(providers, caller, body.provider);
      res.status(201).json(await runtimes.create(caller.user.id, body));
    }),
  );

  router.get(
    '/runtimes/:id',
    authed(async (req, res, caller) => {
      res.json(runtimes.toPublic(await ownRuntime(caller, req)));
    }),
  );

  router.patch(
    '/runtimes/:id',
    authed(async (req, res, caller) => {
      const id = runtimeId(req);
      const { name } = parse(UpdateRuntimeRequestSchema, req.body, 'runtime');
      res.json(await runtimes.rename(caller.user.id, id, name));
    }),
  );

  router.post(
    '/runtimes/:id/start',
    authed(async (req, res, caller) => {
      const runtime = await usableRuntime(caller, runtimeId(req));
      res.status(202).json(await runtimes.startAgain(caller.user.id, runtime.id));
    }),
  );

  router.delete(
    '/runtimes/:id',
    authed(async (req, res, caller) => {
      await runtimes.delete(caller.user.id, runtimeId(req));
      // Its threads are gone, and with them their thread tokens: cut their agents off now.
      await auth.recheck();
      res.status(204).end();
    }),
  );

  router.get(
    '/runtimes/:id/log',
    authed(async (req, res, caller) => {
      const { after, limit } = parse(LogPageQuerySchema, req.query, 'query');
      const runtime = await ownRuntime(caller, req);
      const entries = await store.listLog(runtime.id, after, limit, LIMITS.maxPageBytes);
      const latest = await store.getRuntime(runtime.id);
      res.json({ entries, lastSeq: latest?.logSeq ?? runtime.logSeq } satisfies LogPageResponse);
    }),
  );

  router.get(
    '/runtimes/:id/threads',
    authed(async (req, res, caller) => {
      const runtime = await ownRuntime(caller, req);
      const threads = await store.listThreads(runtime.id);
      res.json({ threads: threads.map((thread) => writer.view(thread)) } satisfies ThreadListResponse);
    }),
  );

  router.post(
    '/runtimes/:id/threads',
    authed(async (req, res, caller) => {
      const runtime = await ownRuntime(caller, req);
      const body = parse(CreateThreadRequestSchema, req.body ?? {}, 'thread');
      const thread = await store.createThread({
        id: newId('th'),
        runtimeId: runtime.id,
        userId: caller.user.id,
        // A thread from an issue is named after it unless the person named it.
        title: body.title ?? (body.issue ? `#${body.issue.number} ${body.issue.title}`.slice(0, 200) : 'New thread'),
        titled: body.title !== undefined || body.issue !== undefined,
        issue: body.issue ?? null,
      });
      writer.notifyThread(thread);
      runtimes.touch(runtime.id);
      res.status(201).json(writer.view(thread));
    }),
  );

  router.get(
    '/threads/:id',
    authed(async (req, res, caller) => {
      res.json(writer.view(await ownThread(caller, req.params.id)));
    }),
  );

  router.patch(
    '/threads/:id',
    authed(async (req, res, caller) => {
      const thread = await ownThread(caller, req.params.id);
      const body = parse(UpdateThreadRequestSchema, req.body, 'thread');
      const updated = await store.updateThread(thread.id, {
        ...(body.title !== undefined && { title: body.title, titled: true }),
        // Archiving again keeps when it was first archived.
        ...(body.archived !== undefined && {
          archivedAt: body.archived ? (thread.archivedAt ?? new Date().toISOString()) : null,
        }),
      });
      if (!updated) throw notFound('thread');
      writer.notifyThread(updated);
      res.json(writer.view(updated));
    }),
  );

  router.post(
    '/threads/:id/move',
    authed(async (req, res, caller) => {
      const body = parse(MoveThreadRequestSchema, req.body, 'move');
      const thread = await ownThread(caller, req.params.id);
      const target = await usableRuntime(caller, body.runtimeId);
      const moved = await runtimes.move(caller.user.id, thread, target.id);
      runtimes.touch(target.id);
      res.json(writer.view(moved));
    }),
  );

  router.delete(
    '/threads/:id',
    authed(async (req, res, caller) => {
      const thread = await ownThread(caller, req.params.id);
      // A turn at work stops first (best effort: a runtime that is away has nothing to stop).
      threadAgents.cancel(thread.id);
      await runtimes.cancel(thread).catch(() => undefined);
      if (!(await store.deleteThread(thread.id))) throw notFound('thread');
      writer.notifyThreadRemoved(thread);
      // Its thread tokens are gone: cut their agents off now.
      await auth.recheck();
      res.status(204).end();
    }),
  );

  router.get(
    '/threads/:id/events',
    authed(async (req, res, caller) => {
      const { after, limit } = parse(EventPageQuerySchema, req.query, 'query');
      const thread = await ownThread(caller, req.params.id);
      // Everything the stream has shown is in the store (a runtime's events are shown as they arrive).
      await writer.shownStored(thread.id);
      const stored = await store.listEvents(thread.id, after, limit, LIMITS.maxPageBytes);
      const latest = await store.getThread(thread.id);
      // Only what the stream may show too (`EntryWriter`: held until durable).
      const below = writer.shownBelow(thread.id);
      const events = stored.filter((event) => event.seq < below);
      const lastSeq = Math.min(latest?.lastSeq ?? thread.lastSeq, below - 1);
      res.json({ events, lastSeq } satisfies EventPageResponse);
    }),
  );

  router.post(
    '/threads/:id/messages',
    authed(async (req, res, caller) => {
      const body = parse(SendMessageRequestSchema, req.body, 'message');
      const thread = await ownThread(caller, req.params.id);
      const runtime = await usableRuntime(caller, thread.runtimeId);
      const message = {
        kind: 'message.user' as const,
        clientId: body.clientId,
        text: body.text,
        agent: body.agent ?? runtime.agent,
      };
      // A self-run agent of this thread (a thread token's) answers without the runtime.
      const selfRun = threadAgents.answers(thread.id, message.agent);
      if (!selfRun) runtimes.assertAvailable(runtime);
      // Stored and queued for the runtime together; a retry of a stored message is not sent again.
      const { event, created } = selfRun
        ? await writer.appendEvent(thread, message)
        : await runtimes.sendMessage(thread, message);
      if (event.kind !== 'message.user') throw new RemoteChatError('conflict', 'That client id names another event.');
      if (selfRun && created) threadAgents.deliver(thread, event);
      res.status(created ? 202 : 200).json({ event, created } satisfies SendMessageResponse);
    }),
  );

  router.post(
    '/threads/:id/uploads',
    express.raw({ type: () => true, limit: LIMITS.maxUploadBytes }),
    authed(async (req, res, caller) => {
      const name = typeof req.query.name === 'string' ? req.query.name : '';
      const thread = await ownThread(caller, req.params.id);
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const runtime = await usableRuntime(caller, thread.runtimeId);
      runtimes.assertAvailable(runtime);
      const path = `uploads/${uploadName(name, new Date())}`;
      await runtimes.upload(thread, path, bytes);
      res.status(201).json({ path, bytes: bytes.length } satisfies UploadedFile);
    }),
  );

  router.post(
    '/threads/:id/cancel',
    authed(async (req, res, caller) => {
      const thread = await ownThread(caller, req.params.id);
      const selfRun = threadAgents.cancel(thread.id);
      // With a self-run agent at work, a runtime that is away has nothing of this thread to stop.
      await runtimes.cancel(thread).catch((error: unknown) => {
        if (!selfRun) throw error;
      });
      res.status(202).json({ ok: true });
    }),
  );

  router.post(
    '/threads/:id/push',
    authed(async (req, res, caller) => {
      const body = parse(PushRequestSchema, req.body, 'push');
      const thread = await ownThread(caller, req.params.id);
      const github = deps.github;
      if (!github)
        throw new RemoteChatError(
          'not_found',
          'GitHub is not configured on this server: set REMOTE_CHAT_GITHUB_CLIENT_ID and REMOTE_CHAT_GITHUB_CLIENT_SECRET.',
        );
      const runtime = await usableRuntime(caller, thread.runtimeId);
      if (runtime.kind === 'machine' || !runtime.repo)
        throw new RemoteChatError(
          'bad_request',
          runtime.kind === 'machine'
            ? 'This runtime is your own machine: push from there with git.'
            : 'This runtime has no GitHub repository to push to; create one from a repository.',
        );
      runtimes.assertAvailable(runtime);
      const pushed = await runtimes.push(thread, {
        branch: body.branch,
        token: body.token,
        message: body.message ?? thread.title,
      });
      const base = runtime.branch ?? pushed.base ?? 'HEAD';
      res.json({
        branch: body.branch,
        commit: pushed.commit,
        pullRequestUrl: `${github.webUrl}/${runtime.repo}/compare/${encodeURI(base)}...${encodeURI(body.branch)}?expand=1`,
      } satisfies PushResponse);
    }),
  );

  router.post(
    '/threads/:id/agent-tokens',
    rateLimit(deps.tokenLimiter),
    authed(async (req, res, caller) => {
      const body = parse(CreateAgentTokenRequestSchema, req.body ?? {}, 'thread token');
      const thread = await ownThread(caller, req.params.id);
      res.status(201).json(await auth.createAgentToken(caller.user, thread.id, body.name ?? 'Thread token'));
    }),
  );

  router.get(
    '/threads/:id/agent-tokens',
    authed(async (req, res, caller) => {
      const thread = await ownThread(caller, req.params.id);
      res.json({ tokens: await store.listAgentTokens(thread.id) } satisfies AgentTokenListResponse);
    }),
  );

  router.delete(
    '/threads/:id/agent-tokens/:tokenId',
    authed(async (req, res, caller) => {
      const thread = await ownThread(caller, req.params.id);
      const { id } = parse(IdParamsSchema, { id: req.params.tokenId }, 'token id');
      if (!(await auth.revokeAgentToken(thread.id, id))) throw notFound('token');
      res.status(204).end();
    }),
  );

  router.post(
    '/threads/:threadId/permissions/:requestId',
    authed(async (req, res, caller) => {
      const { threadId, requestId } = parse(PermissionParamsSchema, req.params, 'route');
      const { optionId } = parse(PermissionAnswerRequestSchema, req.body, 'answer');
      const thread = await ownThread(caller, threadId);
      const request = await store.findEvent(thread.id, permissionRequestKey(requestId));
      if (request?.kind !== 'permission.request') throw notFound('permission request');
      if (!request.options.some((option) => option.optionId === optionId))
        throw new RemoteChatError('bad_request', `The request has no option "${optionId}".`, {
          options: request.options.map((option) => option.optionId),
        });
      // A self-run agent (thread token) asked through the BFF itself; a runtime's agents through it.
      const selfRun = threadAgents.asking(thread.id, requestId);
      if (!selfRun) {
        const runtime = await usableRuntime(caller, thread.runtimeId);
        runtimes.assertAvailable(runtime);
      }
      const { event, created } = selfRun
        ? await writer.appendEvent(thread, { kind: 'permission.answer', requestId, optionId, by: 'user' })
        : await runtimes.answerPermission(thread, requestId, optionId);
      if (selfRun && created) threadAgents.answer(thread.id, requestId, optionId);
      if (!created)
        throw new RemoteChatError('conflict', 'This request was answered already.', {
          answer: event,
        } satisfies PermissionAnswerResponse);
      res.status(202).json({ answer: event } satisfies PermissionAnswerResponse);
    }),
  );

  router.get(
    '/usage',
    authed(async (_req, res, caller) => {
      const day = usageDay();
      const summary = await store.summarizeUsage(caller.user.id, day, USAGE_THREADS);
      const sum = (pick: 'today' | 'total') =>
        summary.byModel.reduce(
          (totals, row) => ({
            inputTokens: totals.inputTokens + row[pick].inputTokens,
            outputTokens: totals.outputTokens + row[pick].outputTokens,
            requests: totals.requests + row[pick].requests,
          }),
          { inputTokens: 0, outputTokens: 0, requests: 0 },
        );
      res.json({
        day,
        today: sum('today'),
        total: sum('total'),
        dailyTokens: deps.dailyTokens ?? null,
        models: summary.byModel,
        threads: summary.byThread,
      } satisfies UsageResponse);
    }),
  );

  // API tokens are managed by a signed-in person, never by another token.
  router.get(
    '/tokens',
    authed(
      async (_req, res, caller) => {
        res.json({ tokens: await auth.listApiTokens(caller.user) } satisfies ApiTokenListResponse);
      },
      ['session'],
    ),
  );

  router.post(
    '/tokens',
    rateLimit(deps.tokenLimiter),
    authed(
      async (req, res, caller) => {
        const body = parse(CreateApiTokenRequestSchema, req.body, 'token');
        res.status(201).json(await auth.createApiToken(caller.user, body.name, body.expiresInDays));
      },
      ['session'],
    ),
  );

  router.delete(
    '/tokens/:id',
    authed(
      async (req, res, caller) => {
        const { id } = parse(IdParamsSchema, req.params, 'token id');
        if (!(await auth.revokeApiToken(caller.user, id))) throw notFound('token');
        res.status(204).end();
      },
      ['session'],
    ),
  );

  router.post(
    '/client-tokens',
    rateLimit(deps.tokenLimiter),
    authed(
      async (req, res, caller) => {
        const body = parse(CreateClientTokenRequestSchema, req.body, 'client token request');
        res.status(201).json((await auth.createClientToken(caller, body)) satisfies ClientTokenResponse);
      },
      ['api-token'],
    ),
  );

  router.post(
    '/machine-tokens',
    rateLimit(deps.tokenLimiter),
    authed(
      async (req, res, caller) => {
        const body = parse(CreateMachineTokenRequestSchema, req.body, 'machine token request');
        res.status(201).json(await auth.createMachineToken(caller, body));
      },
      ['api-token'],
    ),
  );

  router.delete(
    '/machine-tokens/:id',
    authed(
      async (req, res, caller) => {
        const { id } = parse(IdParamsSchema, req.params, 'token id');
        if (!(await auth.revokeIssuedToken(caller, id))) throw notFound('token');
        res.status(204).end();
      },
      ['api-token'],
    ),
  );

  router.post(
    '/stream-tickets',
    authed(async (req, res, caller) => {
      res.status(201).json((await auth.createStreamTicket(caller, req.headers.origin)) satisfies StreamTicketResponse);
    }),
  );

  if (deps.github)
    router.use(
      '/github',
      createGitHubRoutes({
        ...deps.github,
        auth,
        allowedOrigins: deps.allowedOrigins,
        authed: (handler) => authed(handler),
      }),
    );
  else
    router.use('/github', (_req, _res, next) =>
      next(
        new RemoteChatError(
          'not_found',
          'GitHub is not configured on this server: set REMOTE_CHAT_GITHUB_CLIENT_ID and REMOTE_CHAT_GITHUB_CLIENT_SECRET.',
        ),
      ),
    );

  router.use((_req, _res, next) => next(new RemoteChatError('not_found', 'No such route.')));
  return router;
}

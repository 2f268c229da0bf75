import { describe, expect, it } from 'vitest';
import * as full from './index.js';
import * as lite from './lite.js';

const at = '2025-11-20T09:00:00.000Z';
const runtime: full.Runtime = {
  id: 'rt_1',
  name: 'notes',
  kind: 'sandbox',
  provider: 'process',
  status: 'ready',
  link: 'open',
  repo: 'octo/notes',
  branch: null,
  agent: 'shell',
  project: null,
  gitRemote: null,
  machine: null,
  logSeq: 3,
  createdAt: at,
  updatedAt: at,
};
const thread: full.Thread = { id: 'th_1', runtimeId: 'rt_1', title: 'ls', lastSeq: 2, createdAt: at, updatedAt: at };
const events: full.ThreadEvent[] = [
  { threadId: 'th_1', seq: 1, at, kind: 'message.user', clientId: 'c12345678', text: 'ls', agent: 'shell' },
  { threadId: 'th_1', seq: 2, at, kind: 'tool.call', callId: 'c1', tool: 'terminal', title: 'ls' },
  { threadId: 'th_1', seq: 3, at, kind: 'tool.output', callId: 'c1', stream: 'stdout', data: 'a\n' },
  { threadId: 'th_1', seq: 4, at, kind: 'tool.result', callId: 'c1', ok: true, exitCode: 0, durationMs: 3 },
  { threadId: 'th_1', seq: 5, at, kind: 'file.write', path: 'a.txt', diff: '', created: true, bytes: 1 },
  { threadId: 'th_1', seq: 6, at, kind: 'message.delta', messageId: 'm1', text: 'Hi' },
  {
    threadId: 'th_1',
    seq: 7,
    at,
    kind: 'message.agent',
    messageId: 'm1',
    text: 'Hi!',
    agent: 'llm',
    model: 'gpt',
    usage: { inputTokens: 12, outputTokens: 3 },
  },
  { threadId: 'th_1', seq: 8, at, kind: 'status', state: 'idle' },
];
const usage: full.UsageTotals = { inputTokens: 30, outputTokens: 6, requests: 3 };
const frames: full.ServerFrame[] = [
  { type: 'welcome', protocol: 1, user: { id: 'u_1', name: 'Ada' } },
  ...events.map((event): full.ServerFrame => ({ type: 'event', topic: 'thread:th_1', event })),
  { type: 'events', topic: 'thread:th_1', events },
  {
    type: 'log',
    topic: 'runtime-log:rt_1',
    entry: { runtimeId: 'rt_1', seq: 1, at, kind: 'step', step: 'create', state: 'ok', durationMs: 4 },
  },
  {
    type: 'log',
    topic: 'runtime-log:rt_1',
    entry: { runtimeId: 'rt_1', seq: 2, at, kind: 'error', message: 'no', hint: 'retry' },
  },
  { type: 'caught-up', topic: 'thread:th_1', seq: 8 },
  { type: 'runtimes', topic: 'runtimes', runtimes: [runtime] },
  { type: 'runtime', topic: 'runtimes', runtime },
  { type: 'runtime-removed', topic: 'runtimes', id: 'rt_1' },
  { type: 'threads', topic: 'threads:rt_1', threads: [thread] },
  { type: 'thread', topic: 'threads:rt_1', thread },
  { type: 'error', code: 'not_found', message: 'gone', topic: 'thread:th_1' },
  { type: 'pong', id: 3 },
];

describe('the browser protocol entry (no zod)', () => {
  it('accepts every frame the full schema accepts', () => {
    for (const frame of frames) {
      expect(full.ServerFrameSchema.safeParse(frame).success).toBe(true);
      expect(lite.ServerFrameSchema.safeParse(frame)).toEqual({ success: true, data: frame });
    }
  });

  it('drops frames whose type, topic, seq or kind are wrong, as the full schema does', () => {
    const bad: unknown[] = [
      null,
      'welcome',
      [],
      { type: 'surprise', topic: 'runtimes' },
      { type: 'event', topic: 'thread:th_1', event: { ...events[0], seq: -1 } },
      { type: 'event', topic: 'thread:th_1', event: { ...events[0], kind: 'message.evil' } },
      { type: 'event', topic: 'thread:../../x', event: events[0] },
      { type: 'event', topic: 'thread:th_1', event: { ...events[2], data: 42 } },
      { type: 'event', topic: 'thread:th_1', event: { ...events[6], usage: { inputTokens: '12', outputTokens: 3 } } },
      { type: 'events', topic: 'thread:th_1', events: [] },
      { type: 'events', topic: 'thread:th_1', events: events[0] },
      { type: 'events', topic: 'thread:th_1', events: [events[0], { ...events[2], data: 42 }] },
      { type: 'runtime', topic: 'runtimes', runtime: { ...runtime, status: 'exploded' } },
      { type: 'caught-up', topic: 'thread:th_1', seq: 1.5 },
      {
        type: 'log',
        topic: 'runtime-log:rt_1',
        entry: { runtimeId: 'rt_1', seq: 1, at, kind: 'step', step: 'hack', state: 'ok' },
      },
      { type: 'error', code: 'teapot', message: 'x' },
      { type: '__proto__', topic: 'runtimes' },
    ];
    for (const frame of bad) {
      expect(full.ServerFrameSchema.safeParse(frame).success).toBe(false);
      const result = lite.ServerFrameSchema.safeParse(frame);
      expect(result.success).toBe(false);
      if (!result.success) expect(result.error.message).toMatch(/does not match the protocol/);
    }
  });

  it('checks REST answers for the shape the client reads', () => {
    const answers: Array<[keyof typeof lite & keyof typeof full, unknown]> = [
      ['RuntimeListResponseSchema', { runtimes: [runtime] }],
      ['ThreadListResponseSchema', { threads: [thread] }],
      ['EventPageResponseSchema', { events, lastSeq: 8 }],
      ['SendMessageResponseSchema', { event: events[0], created: true }],
      [
        'PermissionAnswerResponseSchema',
        {
          answer: {
            threadId: 'th_1',
            seq: 9,
            at,
            kind: 'permission.answer',
            requestId: 'p1',
            optionId: 'allow',
            by: 'user',
          },
        },
      ],
      ['ErrorBodySchema', { error: { code: 'bad_request', message: 'no' } }],
      [
        'ConfigResponseSchema',
        {
          protocol: 1,
          user: null,
          providers: [
            { id: 'process', label: 'Process', kind: 'sandbox', description: '', pausesWhenIdle: false },
            { id: 'e2b', label: 'E2B', kind: 'sandbox', description: '', pausesWhenIdle: true },
            // An older BFF says nothing of pausing.
            { id: 'ssh', label: 'SSH', kind: 'sandbox', description: '' },
          ],
          agents: [{ id: 'shell', label: 'Shell', description: '' }],
          github: { enabled: false },
          limits: { maxMessageChars: 10, maxBodyBytes: 10 },
        },
      ],
      [
        'UsageResponseSchema',
        {
          day: '2025-11-20',
          today: { inputTokens: 10, outputTokens: 2, requests: 1 },
          total: { inputTokens: 30, outputTokens: 6, requests: 3 },
          dailyTokens: null,
          models: [{ model: 'gpt', today: { inputTokens: 10, outputTokens: 2, requests: 1 }, total: usage }],
          threads: [{ threadId: 'th_1', runtimeId: 'rt_1', today: usage, total: usage }],
        },
      ],
      ['GitHubUserSchema', { login: 'ada', name: null, avatarUrl: null }],
      [
        'GitHubRepoPageSchema',
        {
          repos: [
            {
              fullName: 'octo/notes',
              description: null,
              private: true,
              defaultBranch: 'main',
              sizeKb: 12,
              pushedAt: null,
              htmlUrl: 'https://github.com/octo/notes',
            },
          ],
          nextPage: 2,
        },
      ],
      ['GitHubBranchPageSchema', { branches: ['main', 'feature/x'], nextPage: null }],
      [
        'GitHubIssuePageSchema',
        {
          issues: [{ number: 4, title: 'Bug', body: null, htmlUrl: 'https://github.com/o/n/issues/4' }],
          nextPage: null,
        },
      ],
      [
        'PushResponseSchema',
        { branch: 'remote-chat/x', commit: 'abc', pullRequestUrl: 'https://github.com/o/n/pull/new/x' },
      ],
      ['GitHubTokenMessageSchema', { type: 'rc-github-token', token: 'gho_abc', expiresAt: null }],
      ['GitHubSignInErrorMessageSchema', { type: 'rc-github-error', message: 'denied' }],
    ];
    for (const [name, value] of answers) {
      const fullSchema = (full as Record<string, unknown>)[name] as { safeParse(v: unknown): { success: boolean } };
      const liteSchema = (lite as Record<string, unknown>)[name] as { safeParse(v: unknown): { success: boolean } };
      expect(fullSchema.safeParse(value).success, name).toBe(true);
      expect(liteSchema.safeParse(value).success, name).toBe(true);
      expect(liteSchema.safeParse({}).success, `${name} of {}`).toBe(false);
    }
  });

  it('refuses a provider whose pausesWhenIdle is not a boolean, as the full schema does', () => {
    const config = {
      protocol: 1,
      user: null,
      providers: [{ id: 'e2b', label: 'E2B', kind: 'sandbox', description: '', pausesWhenIdle: 'yes' }],
      agents: [],
      github: { enabled: false },
      limits: { maxMessageChars: 10, maxBodyBytes: 10 },
    };
    expect(full.ConfigResponseSchema.safeParse(config).success).toBe(false);
    expect(lite.ConfigResponseSchema.safeParse(config).success).toBe(false);
  });

  it('hears only a well-formed token from the GitHub sign-in popup', () => {
    for (const token of ['', 'has space', 'x'.repeat(513), 'gho_<script>', 42]) {
      const message = { type: 'rc-github-token', token, expiresAt: null };
      expect(full.GitHubTokenMessageSchema.safeParse(message).success).toBe(false);
      expect(lite.GitHubTokenMessageSchema.safeParse(message).success).toBe(false);
    }
    expect(lite.GitHubTokenMessageSchema.safeParse({ type: 'rc-github-error', token: 'gho_a' }).success).toBe(false);
  });

  it('has the same constants as the main entry', () => {
    expect(lite.GITHUB_TOKEN_HEADER).toBe(full.GITHUB_TOKEN_HEADER);
    expect(lite.EVENT_KINDS).toEqual(full.EVENT_KINDS);
    expect(lite.CLOSE_CODES).toBe(full.CLOSE_CODES);
    expect(lite.RUNTIME_STEPS).toBe(full.RUNTIME_STEPS);
    expect(lite.parseTopic('thread:th_1')).toEqual({ family: 'thread', id: 'th_1' });
  });
});

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A repository the server holds: each branch with the files of its one commit (after `main`'s). */
export interface GitRepoSpec {
  /** `owner/name`. */
  fullName: string;
  /** Private repositories need a token, as on GitHub; public ones clone without. @default true */
  private?: boolean;
  /** Branch → files (path → text). The first branch is the default (HEAD). */
  branches: Record<string, Record<string, string>>;
}

/** A push the server accepted. */
export interface RecordedPush {
  repo: string;
  /** The Basic-auth user name the client sent (`x-access-token` or any). */
  user: string;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:PORT`: clone `${url}/owner/name.git`. */
  url: string;
  /** Where the bare repositories are, `<root>/owner/name.git`. */
  root: string;
  pushes: RecordedPush[];
  /** Every request's `Authorization` header, for secrets checks (they are the client's to send). */
  requests: Array<{ method: string; path: string; authorized: boolean }>;
  addRepo(spec: GitRepoSpec): void;
  /** A ref's commit in a bare repository, or null. */
  revParse(fullName: string, ref: string): string | null;
  /** `git log -1 --format=%s REF` in the bare repository. */
  subject(fullName: string, ref: string): string;
  close(): Promise<void>;
}

export interface GitHttpServerOptions {
  repos: GitRepoSpec[];
  /** Whether a token may read (and push to) a repository, as GitHub answers it. */
  allows: (token: string, fullName: string) => boolean;
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Stand-in',
  GIT_AUTHOR_EMAIL: 'standin@example.invalid',
  GIT_COMMITTER_NAME: 'Stand-in',
  GIT_COMMITTER_EMAIL: 'standin@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmpdir(),
};

function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' }).trim();
}

/** The token of a Basic `Authorization` header (GitHub takes it as the password, any user name). */
function basicAuth(header: string | undefined): { user: string; token: string } | null {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), token: decoded.slice(colon + 1) };
}

/**
 * Real git smart HTTP on loopback: `git http-backend` as a CGI behind a small node server, over
 * bare repositories made from `repos`. Like GitHub it asks for Basic credentials (401 with
 * `WWW-Authenticate`) for private repositories and every push, takes the token as the password,
 * and answers a repository the token may not see as if it did not exist.
 */
export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const root = mkdtempSync(join(tmpdir(), 'rc-git-http-'));
  const specs = new Map<string, GitRepoSpec>();
  const pushes: RecordedPush[] = [];
  const requests: GitHttpServer['requests'] = [];

  function addRepo(spec: GitRepoSpec): void {
    const bare = join(root, `${spec.fullName}.git`);
    mkdirSync(dirname(bare), { recursive: true });
    const work = mkdtempSync(join(tmpdir(), 'rc-git-work-'));
    try {
      const [first, ...rest] = Object.keys(spec.branches);
      if (!first) throw new Error(`${spec.fullName} needs a branch`);
      git(['init', '--quiet', '--initial-branch', first, work]);
      const commit = (branch: string) => {
        for (const [path, text] of Object.entries(spec.branches[branch] ?? {})) {
          mkdirSync(dirname(join(work, path)), { recursive: true });
          writeFileSync(join(work, path), text);
        }
        git(['add', '-A'], work);
        git(
          [
            'commit',
            '--quiet',
            '--allow-empty',
            '-m',
            `${branch}: ${Object.keys(spec.branches[branch] ?? {}).join(', ')}`,
          ],
          work,
        );
      };
      commit(first);
      for (const branch of rest) {
        git(['checkout', '--quiet', '-b', branch, first], work);
        commit(branch);
      }
      git(['clone', '--quiet', '--bare', work, bare]);
      git(['config', 'http.receivepack', 'true'], bare);
      specs.set(spec.fullName, spec);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  for (const spec of options.repos) addRepo(spec);

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://git');
    const match = /^\/([^/]+\/[^/]+?)\.git(\/.*)$/.exec(url.pathname);
    const spec = match ? specs.get(match[1]!) : undefined;
    const credentials = basicAuth(req.headers.authorization);
    requests.push({ method: req.method ?? 'GET', path: url.pathname, authorized: credentials !== null });
    if (!match || !spec) {
      res.writeHead(404).end('Repository not found.\n');
      return;
    }
    const pushing = url.searchParams.get('service') === 'git-receive-pack' || match[2] === '/git-receive-pack';
    if ((spec.private ?? true) || pushing) {
      if (!credentials) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"' }).end();
        return;
      }
      if (!options.allows(credentials.token, spec.fullName)) {
        // GitHub: a bad token is refused; a good one without access sees no repository.
        res.writeHead(credentials.token.startsWith('gh') ? 404 : 401, { 'www-authenticate': 'Basic realm="GitHub"' });
        res.end('Repository not found.\n');
        return;
      }
    }
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: `/${match[1]}.git${match[2]}`,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-encoding'] && { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }),
        ...(req.headers['git-protocol'] && { GIT_PROTOCOL: String(req.headers['git-protocol']) }),
        REMOTE_USER: credentials?.user ?? '',
        REMOTE_ADDR: req.socket.remoteAddress ?? '',
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: root,
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('utf8').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', (code) => {
      if (!headersDone) res.writeHead(500).end('http-backend failed\n');
      else res.end();
      if (code === 0 && req.method === 'POST' && match[2] === '/git-receive-pack')
        pushes.push({ repo: spec.fullName, user: credentials?.user ?? '' });
    });
    cgi.on('error', () => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  }

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    root,
    pushes,
    requests,
    addRepo,
    revParse(fullName, ref) {
      try {
        return git(['--git-dir', join(root, `${fullName}.git`), 'rev-parse', '--verify', '--quiet', ref]);
      } catch {
        return null;
      }
    },
    subject: (fullName, ref) => git(['--git-dir', join(root, `${fullName}.git`), 'log', '-1', '--format=%s', ref]),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

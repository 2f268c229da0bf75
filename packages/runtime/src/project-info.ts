import { execFile } from 'node:child_process';
import path from 'node:path';

/** The workspace as the picker shows it: its folder name and its git remote. */
export interface ProjectInfo {
  project: string | null;
  gitRemote: string | null;
}

export async function projectInfo(workspace: string): Promise<ProjectInfo> {
  const project = path.basename(path.resolve(workspace)).slice(0, 200) || null;
  return { project, gitRemote: await gitRemote(workspace) };
}

/** `git remote get-url origin`, without any credentials embedded in it; null when there is none. */
export function gitRemote(workspace: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', ['remote', 'get-url', 'origin'], { cwd: workspace, timeout: 5_000 }, (error, stdout) => {
      const url = error ? '' : stdout.trim();
      resolve(url ? stripCredentials(url).slice(0, 2048) : null);
    });
  });
}

/**
 * `https://user:token@host/x` → `https://host/x` (a token often sits in the user part); ssh,
 * scp-style and local remotes are left alone.
 */
export function stripCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return url;
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

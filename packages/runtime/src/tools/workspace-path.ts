import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';

/** A path the agent was asked to touch that leads outside its workspace. */
export class PathOutsideWorkspaceError extends Error {
  override readonly name = 'PathOutsideWorkspaceError';
  constructor(
    readonly requested: string,
    detail: string,
  ) {
    super(`refused "${requested}": ${detail}`);
  }
}

export interface WorkspacePath {
  /** The real location to read or write, symlinks resolved. */
  absolute: string;
  /** The path relative to the workspace, as shown to people ("." for the workspace itself). */
  relative: string;
}

/**
 * Resolves a path a user or agent gave against the workspace and refuses anything that leaves it:
 * `..` escapes, absolute paths elsewhere, and symlinks (anywhere along the path) that resolve
 * outside. Paths that do not exist yet are checked through their nearest existing ancestor.
 */
export async function resolveInWorkspace(workspace: string, requested: string): Promise<WorkspacePath> {
  if (requested.includes('\0')) throw new PathOutsideWorkspaceError(requested, 'the path contains a NUL byte');
  const root = path.resolve(workspace);
  const realRoot = await realpath(root);
  const lexical = path.resolve(root, requested || '.');
  let relative = path.relative(root, lexical);
  if (!isInside(relative)) {
    // An absolute path may name the workspace through its real location.
    relative = path.relative(realRoot, lexical);
    if (!isInside(relative)) throw new PathOutsideWorkspaceError(requested, 'the path is outside the workspace');
  }

  // Resolve symlinks through the deepest part of the path that exists.
  let existing = path.join(realRoot, relative);
  const missing: string[] = [];
  for (;;) {
    const stat = await lstat(existing).catch(() => undefined);
    if (stat) break;
    missing.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  let realExisting: string;
  try {
    realExisting = await realpath(existing);
  } catch {
    throw new PathOutsideWorkspaceError(requested, 'the path goes through a broken symlink');
  }
  if (!isInside(path.relative(realRoot, realExisting))) {
    throw new PathOutsideWorkspaceError(requested, 'a symlink on the path leads outside the workspace');
  }
  return { absolute: path.join(realExisting, ...missing), relative: relative || '.' };
}

function isInside(relative: string): boolean {
  return relative === '' || (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative));
}

import { constants, existsSync } from 'node:fs';
import { lstat, mkdir, open, readlink, realpath, type FileHandle } from 'node:fs/promises';
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

/**
 * A folder inside the workspace, held open. Names in it are reached through the open descriptor
 * (`/proc/self/fd/N/name`, which the kernel resolves like `openat`), never through a path string
 * that a symlink swapped in meanwhile could redirect.
 */
export interface OpenFolder {
  /** Where the folder is right now, for the calls that take a path: `/proc/self/fd/N`. */
  readonly path: string;
  /** The path of `name` inside the folder. */
  at(name: string): string;
  close(): Promise<void>;
}

/** A file inside the workspace, opened without following a symlink anywhere. */
export interface WorkspaceHandle {
  handle: FileHandle;
  /** The path relative to the workspace, as shown to people ("." for the workspace itself). */
  relative: string;
}

/** A place to create or replace a file in: its folder, held open, and the file's name in it. */
export interface WorkspaceTarget {
  folder: OpenFolder;
  /** The file's name in `folder`; at the time of the lookup not a symlink (missing, or a file or folder). */
  name: string;
  /** The path relative to the workspace, as shown to people. */
  relative: string;
}

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;
/** How many symlinks one lookup may follow, as Linux allows. */
const MAX_LINKS = 40;
/** Where a held-open folder can be reached by name. Without it (macOS) folders are reached by their real path, as a fallback that a racing swap of a folder can still redirect. */
const PROC_FD = existsSync('/proc/self/fd') ? '/proc/self/fd' : undefined;

/**
 * Opens the file `requested` names inside the workspace, read-only (a FIFO does not block).
 * Every component is opened with `O_NOFOLLOW` relative to its folder's descriptor; a symlink is
 * followed only by reading it and looking its target up the same way from the workspace root, so
 * a path that leaves the workspace (through `..` or a symlink, at any component, however they are
 * swapped meanwhile) is refused before anything outside is opened.
 */
export async function openFileInWorkspace(workspace: string, requested: string): Promise<WorkspaceHandle> {
  const walk = await Walk.start(workspace, requested);
  for (;;) {
    const { folder, name } = await walk.parent(false);
    try {
      if (name === undefined) throw Object.assign(new Error(`${walk.relative} is a folder`), { code: 'EISDIR' });
      return { handle: await open(folder.at(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK), relative: walk.relative };
    } catch (error) {
      if (name === undefined || !(await walk.followIfLink(error, folder, name))) throw error;
    } finally {
      await folder.close();
    }
  }
}

/** Opens the folder `requested` names inside the workspace, the same way. Close it after. */
export async function openFolderInWorkspace(
  workspace: string,
  requested: string,
): Promise<{ folder: OpenFolder; relative: string }> {
  const walk = await Walk.start(workspace, requested);
  for (;;) {
    const { folder, name } = await walk.parent(false);
    if (name === undefined) return { folder, relative: walk.relative };
    try {
      return { folder: await folder.child(name, false), relative: walk.relative };
    } catch (error) {
      if (!(await walk.followIfLink(error, folder, name))) throw error;
    } finally {
      await folder.close();
    }
  }
}

/**
 * The folder (held open, created with its parents if missing) and name of the file `requested`
 * names inside the workspace, to create or replace it there: write a temporary file in `folder`
 * and rename it over `name`. A symlink at `name` is followed if it stays inside the workspace; one
 * swapped in afterwards is replaced by the rename, never written through. Close `folder` after.
 */
export async function targetInWorkspace(workspace: string, requested: string): Promise<WorkspaceTarget> {
  const walk = await Walk.start(workspace, requested);
  for (;;) {
    const { folder, name } = await walk.parent(true);
    if (name === undefined) {
      await folder.close();
      throw Object.assign(new Error(`${walk.relative} is a folder`), { code: 'EISDIR' });
    }
    const stats = await lstat(folder.at(name)).catch(() => undefined);
    if (!stats?.isSymbolicLink()) return { folder, name, relative: walk.relative };
    try {
      await walk.follow(folder, name);
    } finally {
      await folder.close();
    }
  }
}

/** One lookup: the names left to open from the workspace root, restarted from the root after each symlink. */
class Walk {
  readonly relative: string;
  readonly #requested: string;
  /** The workspace's real path, where the walk starts. */
  readonly #root: string;
  /** The workspace as given, which an absolute symlink may name instead of its real path. */
  readonly #given: string;
  #names: string[];
  #links = 0;
  /** The names opened so far in this pass. */
  #done: string[] = [];

  private constructor(requested: string, root: string, given: string, names: string[], relative: string) {
    this.#requested = requested;
    this.#root = root;
    this.#given = given;
    this.#names = names;
    this.relative = relative;
  }

  static async start(workspace: string, requested: string): Promise<Walk> {
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
    return new Walk(requested, realRoot, root, namesOf(relative), relative || '.');
  }

  /**
   * Opens every folder on the path but the last name, from the root, each with O_NOFOLLOW;
   * missing ones are made when `create`. Returns the last folder and the last name (undefined
   * when the path is the workspace itself).
   */
  async parent(create: boolean): Promise<{ folder: HeldFolder; name: string | undefined }> {
    this.#done = [];
    let folder = await HeldFolder.open(this.#root, this.#root);
    try {
      for (;;) {
        const name = this.#names[this.#done.length];
        if (name === undefined || this.#done.length === this.#names.length - 1) return { folder, name };
        const next = await folder.child(name, create).catch(async (error: unknown) => {
          if (await this.followIfLink(error, folder, name)) return undefined;
          throw error;
        });
        await folder.close();
        folder = next ?? (await HeldFolder.open(this.#root, this.#root));
        if (next) this.#done.push(name);
        else this.#done = [];
      }
    } catch (error) {
      await folder.close();
      throw error;
    }
  }

  /** After a failed open of `name` in `folder`: if it is a symlink, follow it (the walk restarts) and return true. */
  async followIfLink(error: unknown, folder: HeldFolder, name: string): Promise<boolean> {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ELOOP' && code !== 'ENOTDIR') return false;
    const stats = await lstat(folder.at(name)).catch(() => undefined);
    if (!stats?.isSymbolicLink()) return false;
    await this.follow(folder, name);
    return true;
  }

  /** Replaces the symlink `name` (the next name of the walk, in `folder`) with its target's names. */
  async follow(folder: HeldFolder, name: string): Promise<void> {
    if (++this.#links > MAX_LINKS)
      throw new PathOutsideWorkspaceError(this.#requested, 'too many symlinks on the path');
    const target = await readlink(folder.at(name));
    // Every name opened so far is a real folder, so joining them is the real path: `..` in the target resolves lexically.
    const absolute = path.resolve(this.#root, ...this.#done, target);
    let resolved = path.relative(this.#root, absolute);
    if (!isInside(resolved) && path.isAbsolute(target)) resolved = path.relative(this.#given, absolute);
    if (!isInside(resolved))
      throw new PathOutsideWorkspaceError(this.#requested, 'a symlink on the path leads outside the workspace');
    this.#names = [...namesOf(resolved), ...this.#names.slice(this.#done.length + 1)];
  }
}

/** A folder held open by its descriptor; `real` is where it was when opened (the fallback without /proc). */
class HeldFolder implements OpenFolder {
  readonly #handle: FileHandle;
  readonly #real: string;
  #closed = false;

  private constructor(handle: FileHandle, real: string) {
    this.#handle = handle;
    this.#real = real;
  }

  /** Opens `at` (a trusted path: the workspace root, or a name in a held folder). */
  static async open(at: string, real: string): Promise<HeldFolder> {
    return new HeldFolder(await open(at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW), real);
  }

  get path(): string {
    return PROC_FD ? `${PROC_FD}/${this.#handle.fd}` : this.#real;
  }

  at(name: string): string {
    return `${this.path}/${name}`;
  }

  /** The folder `name` in this one, opened without following a symlink; made first if missing and `create`. */
  async child(name: string, create: boolean): Promise<HeldFolder> {
    const real = path.join(this.#real, name);
    try {
      return await HeldFolder.open(this.at(name), real);
    } catch (error) {
      if (!create || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // mkdir never follows a symlink in its last name: one swapped in makes it fail with EEXIST, and the open below refuses it.
    await mkdir(this.at(name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    return HeldFolder.open(this.at(name), real);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close();
  }
}

/** The names of a relative path ("" and "." have none). */
function namesOf(relative: string): string[] {
  return relative.split(path.sep).filter((name) => name !== '' && name !== '.');
}

function isInside(relative: string): boolean {
  return relative === '' || (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative));
}

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const SessionsFileSchema = z.record(z.string(), z.string());

/**
 * The ACP session of each thread, per agent, so that after a runtime restart an agent that can
 * load sessions resumes the thread's own (`<state-dir>/acp-sessions.json`; in memory only when
 * there is no state folder).
 */
export class AcpSessions {
  readonly #file: string | undefined;
  readonly #sessions: Map<string, string>;

  constructor(stateDir: string | undefined) {
    this.#file = stateDir === undefined ? undefined : path.join(stateDir, 'acp-sessions.json');
    this.#sessions = new Map(Object.entries(this.#read()));
  }

  /** The session the agent last had in the thread, if any. */
  get(agentId: string, threadId: string): string | undefined {
    return this.#sessions.get(keyOf(agentId, threadId));
  }

  set(agentId: string, threadId: string, sessionId: string): void {
    this.#sessions.set(keyOf(agentId, threadId), sessionId);
    if (this.#file === undefined) return;
    // Written whole and renamed over: a crash leaves the old file or the new, never half of one.
    const temporary = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(Object.fromEntries(this.#sessions)), { mode: 0o600 });
    renameSync(temporary, this.#file);
  }

  #read(): Record<string, string> {
    if (this.#file === undefined) return {};
    try {
      const parsed = SessionsFileSchema.safeParse(JSON.parse(readFileSync(this.#file, 'utf8')));
      return parsed.success ? parsed.data : {};
    } catch {
      return {};
    }
  }
}

function keyOf(agentId: string, threadId: string): string {
  return `${agentId}/${threadId}`;
}

/** Exit codes of `remote-chat-runtime`; each fatal error has its own so a supervisor can tell them apart. */
export const EXIT_CODES = {
  ok: 0,
  /** An unexpected error. */
  failed: 1,
  /** Bad command-line usage. */
  usage: 2,
  /** REMOTE_CHAT_RUNTIME_ID or REMOTE_CHAT_RUNTIME_TOKEN missing or malformed. */
  credentials: 3,
  /** The workspace or state folder is missing or unusable. */
  workspace: 4,
  /** The settings file is unreadable or invalid. */
  settings: 5,
  /** The HTTP server could not listen (port taken, address not available). */
  listen: 6,
} as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** A fatal start-up error that carries the exit code it should end the process with. */
export class RuntimeStartError extends Error {
  override readonly name = 'RuntimeStartError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

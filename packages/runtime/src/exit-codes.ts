/** Exit codes of `remote-chat-runtime`; each fatal error has its own so a supervisor can tell them apart. */
export const EXIT_CODES = {
  ok: 0,
  /** An unexpected error. */
  failed: 1,
  /** Bad command-line usage. */
  usage: 2,
  /** serve: REMOTE_CHAT_RUNTIME_ID or REMOTE_CHAT_RUNTIME_TOKEN missing or malformed; connect: no API token, or a malformed one. */
  credentials: 3,
  /** The workspace or state folder is missing or unusable, or another process is using it. */
  workspace: 4,
  /** The settings file (serve) or the config file or machine.json (connect) is unreadable or invalid. */
  settings: 5,
  /** The HTTP server could not listen (port taken, address not available). */
  listen: 6,
  /** connect: the BFF refused the API token (close code 4401: wrong, revoked or expired). */
  unauthorized: 7,
  /** connect: the BFF says a folder's runtime id belongs to another account (close code 4403). */
  forbidden: 8,
  /** connect: the BFF speaks another protocol version (close code 4406). */
  protocol: 9,
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

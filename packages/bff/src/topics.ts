/** Hub topic names. User-scoped topics carry the user id so fan-out never crosses users. */
export const topics = {
  thread: (threadId: string) => `thread:${threadId}`,
  runtimeLog: (runtimeId: string) => `runtime-log:${runtimeId}`,
  threads: (runtimeId: string) => `threads:${runtimeId}`,
  runtimes: (userId: string) => `runtimes@${userId}`,
} as const;

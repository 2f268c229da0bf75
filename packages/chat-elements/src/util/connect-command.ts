/**
 * The commands that connect a user's machine to the BFF at `bffUrl` as a runtime: fetch the
 * one-file runtime, then run it in a project folder with an API token (Account → API tokens).
 */
export function machineConnectCommand(bffUrl: string): string {
  const url = bffUrl.replace(/\/+$/, '');
  return [
    `curl -fO ${url}/remote-chat-runtime.js`,
    'export REMOTE_CHAT_TOKEN=rc_…   # an API token from Account',
    `node remote-chat-runtime.js connect --url ${url}`,
  ].join('\n');
}

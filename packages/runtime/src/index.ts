// What a user of the runtime needs: run it (`serve`, `connect`) from code, find a running one,
// host agents or write one. The runtime link both ends speak is `@remote-chat/link`.

// Serving a sandbox's runtime (`remote-chat-runtime serve`), and what a supervisor reads to find it.
export { serve } from './serve.js';
export type { RunningRuntime, ServeOptions } from './serve.js';
export { DEFAULT_SETTINGS, RuntimeSettingsSchema, loadSettings } from './settings.js';
export type { RuntimeSettings } from './settings.js';
export { RUNTIME_FILE_NAME, RuntimeFileSchema, readRuntimeFile } from './runtime-file.js';
export type { RuntimeFile } from './runtime-file.js';

// Connecting a user's machine (`remote-chat-runtime connect`).
export { connect } from './connect/connector.js';
export type { ConnectOptions, Connection } from './connect/connector.js';
export type { ConnectExit } from './connect/folder-link.js';

// Hosting agents, and writing one.
export { RuntimeHost } from './runtime-host.js';
export type { RuntimeHostOptions } from './runtime-host.js';
export { ShellAgent } from './agents/shell.js';
export type { ShellAgentOptions } from './agents/shell.js';
export { LlmAgent } from './agents/llm/llm-agent.js';
export type { LlmAgentOptions } from './agents/llm/llm-agent.js';
export type { Agent, AgentMessage, AgentTurn } from './agents/agent.js';
export { NO_BACKPRESSURE } from './backpressure.js';
// Models: the keyless endpoint agents call, which forwards through the BFF's execution gateway.
export { modelEnv } from './model-endpoint/model-access.js';
export type { ModelAccess, ModelEndpointAccess } from './model-endpoint/model-access.js';
export { GatewayCallError, GatewayClient } from './model-endpoint/gateway-client.js';
export { startModelEndpoint } from './model-endpoint/model-endpoint.js';
export type { ModelEndpoint, ModelEndpointOptions } from './model-endpoint/model-endpoint.js';
export type { Backpressure, PressureSource } from './backpressure.js';

export { EXIT_CODES, RuntimeStartError } from './exit-codes.js';
export type { ExitCode } from './exit-codes.js';
export { RUNTIME_VERSION } from './version.js';

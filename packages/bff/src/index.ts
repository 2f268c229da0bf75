export { Auth, SESSION_COOKIE } from './auth.js';
export type { Caller } from './auth.js';
export { RemoteChatError } from './errors.js';
export { ConfigError, loadGatewayConfig } from './gateway/gateway-config.js';
export type { CapabilityPolicy, GatewayConfig, ModelConfig } from './gateway/gateway-config.js';
export { Hub } from './hub.js';
export type { EntrySource, SeqEntry, SubscribeOptions, Subscription } from './hub.js';
export { BubblewrapProvider } from './providers/bubblewrap-provider.js';
export type { BubblewrapProviderOptions } from './providers/bubblewrap-provider.js';
export {
  DaytonaProvider,
  DaytonaSettingsSchema,
  DaytonaStepError,
  RUNTIME_LABEL,
  RUNTIME_PORT,
  autoStopMinutes,
  daytonaDefinition,
} from './providers/daytona-provider.js';
export type { DaytonaProviderOptions, DaytonaSettings } from './providers/daytona-provider.js';
export { E2B_PROVIDER, E2bProvider, E2bSettingsSchema } from './providers/e2b-provider.js';
export type { E2bProviderOptions, E2bSettings } from './providers/e2b-provider.js';
export { ProcessProvider } from './providers/process-provider.js';
export type { ProcessProviderOptions } from './providers/process-provider.js';
export { configuredProviders } from './providers/provider-config.js';
export type { ConfiguredProvidersOptions } from './providers/provider-config.js';
export type {
  AgentSettings,
  CloneSource,
  Provider,
  ProviderContext,
  ProviderDefinition,
  ProviderState,
  RuntimeEndpoint,
  RuntimeSettings,
  StartContext,
  StartedRuntime,
  StepContext,
  StepOutcome,
} from './providers/provider.js';
export type { ProviderAudience } from './providers/provider-access.js';
export { SshProvider, SshSettingsSchema, sshProviderDefinition } from './providers/ssh-provider.js';
export type { SshProviderOptions, SshSettings } from './providers/ssh-provider.js';
export type { SandboxLimits, SandboxNetwork } from './providers/sandbox-command.js';
export { REDACTED_PATHS, createLogger, createRemoteChat } from './remote-chat.js';
export type { RemoteChat, RemoteChatOptions } from './remote-chat.js';
export { startServer } from './server.js';
export type { RunningServer, ServerOptions } from './server.js';
export { GITHUB_ENV, loadGitHubConfig, type GitHubConfig } from './github/github-config.js';
export { openStore } from './store/open-store.js';
export { openPostgresStore } from './store/postgres-store.js';
export { openSqliteStore } from './store/sqlite-store.js';
export type { AppendItem, AppendResult, RuntimeRecord, Store, ThreadRecord } from './store/store.js';

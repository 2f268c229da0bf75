export {
  CLOSE_CODES,
  ERROR_CODES,
  ErrorBodySchema,
  ErrorCodeSchema,
  IdSchema,
  LIMITS,
  PROTOCOL_VERSION,
  SeqSchema,
  TimestampSchema,
} from './common.js';
export type { CloseCode, ErrorBody, ErrorCode } from './common.js';
export {
  AGENT_STATES,
  AgentIdSchema,
  AgentStateSchema,
  EVENT_KINDS,
  EventBodySchema,
  ThreadEventSchema,
  ToolNameSchema,
} from './events.js';
export type { AgentState, EventBody, EventKind, ThreadEvent, ThreadEventOf } from './events.js';
export {
  BranchSchema,
  LINK_STATES,
  LinkStateSchema,
  LogBodySchema,
  LogEntrySchema,
  MachineSchema,
  ProviderIdSchema,
  RUNTIME_KINDS,
  RUNTIME_STATUSES,
  RUNTIME_STEPS,
  RepoSchema,
  RuntimeKindSchema,
  RuntimeSchema,
  RuntimeStatusSchema,
  RuntimeStepSchema,
  STEP_STATES,
  StepStateSchema,
  ThreadSchema,
  UserSchema,
} from './resources.js';
export type {
  LinkState,
  LogBody,
  LogEntry,
  Machine,
  Runtime,
  RuntimeKind,
  RuntimeStatus,
  RuntimeStep,
  StepState,
  Thread,
  User,
} from './resources.js';
export {
  ConfigResponseSchema,
  CreateRuntimeRequestSchema,
  CreateThreadRequestSchema,
  EventPageQuerySchema,
  EventPageResponseSchema,
  IdParamsSchema,
  LogPageQuerySchema,
  LogPageResponseSchema,
  RuntimeListResponseSchema,
  SendMessageRequestSchema,
  SendMessageResponseSchema,
  ThreadListResponseSchema,
  UpdateThreadRequestSchema,
  UploadedFileSchema,
} from './rest.js';
export type {
  ConfigResponse,
  CreateRuntimeRequest,
  CreateThreadRequest,
  EventPageResponse,
  LogPageResponse,
  RuntimeListResponse,
  SendMessageRequest,
  SendMessageResponse,
  ThreadListResponse,
  UpdateThreadRequest,
  UploadedFile,
} from './rest.js';
export { ClientFrameSchema, ServerFrameSchema, TopicSchema } from './stream.js';
export type { ClientFrame, SeqTopic, ServerFrame, ServerFrameOf, Topic } from './stream.js';
export {
  SEQ_TOPIC_FAMILIES,
  TOPIC_FAMILIES,
  TOPIC_FRAME_TYPES,
  frameFits,
  isSeqFamily,
  parseTopic,
  streamTopic,
  topicFamily,
} from './topics.js';
export type { ParsedTopic, TopicFamily, TopicFamilyOf, TopicFrame } from './topics.js';
export {
  AckFrameSchema,
  FromRuntimeFrameSchema,
  FromRuntimeMessageSchema,
  HelloFrameSchema,
  PingFrameSchema,
  PongFrameSchema,
  ToRuntimeFrameSchema,
  ToRuntimeMessageSchema,
  WelcomeFrameSchema,
  linkFrameSchema,
} from './link.js';
export type {
  FromRuntimeFrame,
  FromRuntimeMessage,
  HelloFrame,
  WelcomeFrame,
  LinkFrame,
  LinkMessageSchema,
  ToRuntimeFrame,
  ToRuntimeMessage,
} from './link.js';
export {
  ApiTokenListResponseSchema,
  ApiTokenSchema,
  ClientTokenResponseSchema,
  CreateApiTokenRequestSchema,
  CreateClientTokenRequestSchema,
  CreateMachineTokenRequestSchema,
  CreatedApiTokenSchema,
  StreamTicketResponseSchema,
} from './tokens.js';
export type {
  ApiToken,
  ApiTokenListResponse,
  ClientTokenResponse,
  CreateApiTokenRequest,
  CreateClientTokenRequest,
  CreateMachineTokenRequest,
  CreatedApiToken,
  StreamTicketResponse,
} from './tokens.js';
export { threadTitleFrom } from './thread-title.js';
export { uploadName } from './upload-name.js';

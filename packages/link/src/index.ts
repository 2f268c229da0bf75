// The session each end runs: numbering, acknowledgements, resends, heartbeats, back-pressure.
export { DEFAULT_HIGH_WATER, DEFAULT_LOW_WATER, LinkSession, MAX_BAD_FRAMES, closeSocket } from './session.js';
export type {
  FrameGate,
  LinkGatewayOptions,
  LinkSessionOptions,
  LinkSessionStorage,
  LinkTransport,
} from './session.js';

// Opening a link: the dialler's and the listener's half of the handshake, and a dialler that redials.
export { HANDSHAKE_TIMEOUT_MS, acceptLink, dialLink } from './handshake.js';
export type { AcceptLinkOptions, DialLinkOptions, HelloCredentials, LinkRefusal } from './handshake.js';
export { LinkDialer } from './dialer.js';
export type { LinkDialerOptions } from './dialer.js';

// Where unacknowledged frames are kept (a runtime passes one that survives a restart).
export { MemoryOutbox } from './outbox.js';
export type { LinkOutbox, OutboxEntry, OutboxState } from './outbox.js';

export { closeInWords } from './close-words.js';
export { LinkClosedError, LinkFrameTooLargeError, LinkHandshakeError, LinkOutboxFullError } from './errors.js';

// An external agent's WebSocket, as a runtime's agent endpoint and the BFF's `/api/agent` host it.
export { AGENT_CANCEL_GRACE_MS, AgentSocket, MAX_OPEN_PERMISSION_REQUESTS } from './agent-socket.js';
export type { AgentRegistration, AgentSocketOptions, AgentSocketTurn, RegistrationVerdict } from './agent-socket.js';

// The permission requests an agent is waiting on, with their timeout and Stop (both hosts of agents).
export { PermissionDesk } from './permission-desk.js';
export type { PermissionOutcome, PermissionQuestion } from './permission-desk.js';

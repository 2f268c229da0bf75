import { z } from 'zod';

/** The version of every wire format in this package. Handshakes carry it; peers refuse others. */
export const PROTOCOL_VERSION = 1;

/** Size limits shared by both ends of every boundary. */
export const LIMITS = {
  /** Largest JSON body the BFF accepts on a REST route. */
  maxBodyBytes: 256 * 1024,
  /** Largest user message text. */
  maxMessageChars: 64 * 1024,
  /** Largest frame on the browser stream. */
  maxStreamFrameBytes: 64 * 1024,
  /** Largest frame on the runtime link (output chunks are split well below it). */
  maxLinkFrameBytes: 1024 * 1024,
  /** Largest data field of one `tool.output` event. */
  maxOutputChunkChars: 32 * 1024,
  /** Most events one `GET /threads/:id/events` page returns. */
  maxEventsPage: 1000,
} as const;

/** Ids are opaque strings chosen by the BFF: URL-safe, bounded. */
export const IdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'ids are letters, digits, "-" and "_"');

/** A per-topic sequence number: 1 for the first entry, no gaps. */
export const SeqSchema = z.number().int().nonnegative();

/** An ISO-8601 timestamp. */
export const TimestampSchema = z.string().datetime({ offset: true });

/** Error codes that cross the wire, in REST error bodies and stream `error` frames. */
export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'rate_limited',
  'runtime_unavailable',
  'internal',
] as const;
export const ErrorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** The body of every REST error: `{ error: { code, message } }`. */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: ErrorCodeSchema,
    /** A sentence a person can act on. */
    message: z.string(),
    /** Details, such as the fields that failed validation. */
    data: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/**
 * WebSocket close codes used by both the browser stream and the runtime link.
 * 4000–4999 are ours; the meaning mirrors the HTTP status where one fits.
 */
export const CLOSE_CODES = {
  /** The peer sent something that is not a valid frame too many times. */
  badFrames: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  /** The peer speaks another protocol version. */
  protocolMismatch: 4406,
  /** No heartbeat arrived in time. */
  timeout: 4408,
  /** A newer connection for the same runtime replaced this one. */
  replaced: 4409,
  tooLarge: 4413,
  /** The peer sent frames faster than allowed. */
  rateLimited: 4429,
  /** The reader could not keep up; resume from the last seq. */
  slowConsumer: 4430,
  /** The server is shutting down; reconnect later. */
  goingAway: 4503,
} as const;
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

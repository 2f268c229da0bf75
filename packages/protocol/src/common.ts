import { z } from 'zod';
import { ERROR_CODES } from './constants.js';

export { CLOSE_CODES, ERROR_CODES, HISTORY_EVENT_KINDS, LIMITS, PROTOCOL_VERSION } from './constants.js';
export type { CloseCode } from './constants.js';

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

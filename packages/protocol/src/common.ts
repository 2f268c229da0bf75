import { z } from 'zod';
import { ERROR_CODES } from './constants.js';
import { isText } from './shortcuts.js';

export { CLOSE_CODES, ERROR_CODES, HISTORY_EVENT_KINDS, LIMITS, PROTOCOL_VERSION } from './constants.js';
export type { CloseCode } from './constants.js';

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;
const ID_MAX = 64;

/** Ids are opaque strings chosen by the BFF: URL-safe, bounded. */
export const IdSchema = z.string().min(1).max(ID_MAX).regex(ID_PATTERN, 'ids are letters, digits, "-" and "_"');

/** Whether `value` passes IdSchema (for shortcuts). */
export function isId(value: unknown): value is string {
  return isText(value, 1, ID_MAX, ID_PATTERN);
}

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

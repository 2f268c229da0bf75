import type { RawData } from 'ws';
import { linkFrameSchema, type LinkFrame, type LinkMessageSchema } from '@remote-chat/protocol';

/** A parser for the frames one side receives, `data` carrying messages of `inbound`. */
export type FrameParser<In> = (text: string) => LinkFrame<In> | undefined;

/** Builds a parser that returns undefined for anything that is not a valid frame. */
export function frameParser<In>(inbound: LinkMessageSchema<In>): FrameParser<In> {
  const schema = linkFrameSchema(inbound);
  return (text) => {
    const json = parseJson(text);
    if (json === undefined) return undefined;
    const result = schema.safeParse(json);
    return result.success ? result.data : undefined;
  };
}

/** JSON.parse that returns undefined instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Serializes a frame; the one place outgoing frames are encoded. */
export function encodeFrame<M>(frame: LinkFrame<M>): string {
  return JSON.stringify(frame);
}

/** The size in bytes of a frame as `ws` delivered it. */
export function rawDataBytes(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data.byteLength;
}

/** A frame as `ws` delivered it, decoded as UTF-8. */
export function rawDataText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

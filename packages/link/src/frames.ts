import type { RawData } from 'ws';
import {
  isGatewayFrameType,
  linkFrameSchema,
  safeParseFast,
  type LinkFrame,
  type LinkMessageSchema,
} from '@remote-chat/protocol';

/** A frame one side received: one of the link's own, or an execution gateway frame. */
export type ParsedFrame<In, GIn> = { channel: 'link'; frame: LinkFrame<In> } | { channel: 'gateway'; frame: GIn };

/** A parser for the frames one side receives, `data` carrying messages of `inbound`. */
export type FrameParser<In, GIn> = (text: string) => ParsedFrame<In, GIn> | undefined;

/**
 * Builds a parser that returns undefined for anything that is not a valid frame. Gateway frames
 * are valid only with a `gateway` schema (the frames this side may receive).
 */
export function frameParser<In, GIn = never>(
  inbound: LinkMessageSchema<In>,
  gateway?: LinkMessageSchema<GIn>,
): FrameParser<In, GIn> {
  const schema = linkFrameSchema(inbound);
  return (text) => {
    const json = parseJson(text);
    if (typeof json !== 'object' || json === null) return undefined;
    if (isGatewayFrameType((json as { type?: unknown }).type)) {
      const result = gateway && safeParseFast(gateway, json);
      return result?.success ? { channel: 'gateway', frame: result.data } : undefined;
    }
    const result = safeParseFast(schema, json);
    return result.success ? { channel: 'link', frame: result.data } : undefined;
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

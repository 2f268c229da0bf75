import {
  GatewayToRuntimeFrameSchema,
  type GatewayFromRuntimeFrame,
  type GatewayToRuntimeFrame,
  type LinkState,
  type ModelInfo,
} from '@remote-chat/protocol';
import type { LinkGatewayOptions } from '@remote-chat/link';
import { GatewayClient } from './gateway-client.js';
import { startModelEndpoint, type ModelEndpoint } from './model-endpoint.js';

/** A runtime's way to models: the gateway channel of its link, the latest model list, and the endpoint agents call. */
export interface RuntimeModelGateway {
  /** The `gateway` option of the runtime's LinkSession. */
  readonly link: LinkGatewayOptions<GatewayToRuntimeFrame>;
  /** The keyless endpoint (RuntimeHostOptions.model). */
  readonly endpoint: ModelEndpoint;
  /** Keeps the list a `models` message brought (RuntimeHostOptions.onModels). */
  setModels(models: readonly ModelInfo[]): void;
  /** Hears the link's states: calls in flight fail when it goes offline. */
  linkState(state: LinkState): void;
  close(): Promise<void>;
}

/**
 * Starts the model endpoint of a runtime whose link writes gateway frames with `send`
 * (`(frame) => session.sendGateway(frame)`; the session may be made after this, with `link`).
 */
export async function startRuntimeModelGateway(
  send: (frame: GatewayFromRuntimeFrame) => boolean,
): Promise<RuntimeModelGateway> {
  const client = new GatewayClient(send);
  let models: readonly ModelInfo[] = [];
  const endpoint = await startModelEndpoint({ gateway: client, models: () => models });
  return {
    link: { inbound: GatewayToRuntimeFrameSchema, onFrame: (frame) => client.receive(frame) },
    endpoint,
    setModels: (latest) => {
      models = latest;
    },
    linkState: (state) => {
      if (state === 'offline') client.linkDown();
    },
    close: () => endpoint.close(),
  };
}

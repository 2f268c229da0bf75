import { GatewayToRuntimeFrameSchema, type GatewayToRuntimeFrame, type ThreadEvent } from '@remote-chat/protocol';
import type { ModelConfig } from '@remote-chat/bff';
import { onTestFinished } from 'vitest';
import { clientId, readyRuntime, startTestBff, type StreamClient, type TestBff } from './bff.js';
import type { MachineLink } from './machine-link.js';
import { startModelStub, type ModelStub } from './model-stub.js';

/** The model key the tests configure; it must never reach a runtime. */
export const MODEL_KEY = 'sk-gateway-test-key-0b1c2d3e4f5a6b7c8d9e';

/** The configured models: one of each API, both at the stub, which insists on MODEL_KEY. */
export function stubModels(stub: ModelStub): ModelConfig[] {
  return [
    {
      id: 'gpt',
      label: 'GPT (stub)',
      api: 'openai',
      baseUrl: stub.openaiBaseUrl,
      apiKey: MODEL_KEY,
      model: 'stub-gpt',
    },
    {
      id: 'claude',
      label: 'Claude (stub)',
      api: 'anthropic',
      baseUrl: stub.anthropicBaseUrl,
      apiKey: MODEL_KEY,
      model: 'stub-claude',
      contextWindow: 200_000,
    },
  ];
}

/** A model stub that checks the key, stopped after the test. */
export async function keyedStub(): Promise<ModelStub> {
  const stub = await startModelStub({ apiKey: MODEL_KEY });
  onTestFinished(() => stub.close());
  return stub;
}

/** A BFF whose gateway serves the stub's models, with the given gateway settings. */
export async function gatewayBff(
  stub: ModelStub,
  gateway: Partial<NonNullable<Parameters<typeof startTestBff>[0]>['gateway']> = {},
): Promise<TestBff> {
  return startTestBff({ gateway: { models: stubModels(stub), ...gateway } });
}

/** The runtime's model endpoint as a thread's commands see it: the base URL and the key in their environment. */
export interface EndpointAccess {
  baseUrl: string;
  apiKey: string;
}

/**
 * Runs `printf` in a thread of the runtime (through the shell agent) to read the endpoint its
 * commands are given, as a CLI agent inside the runtime would find it.
 */
export async function endpointOf(
  bff: Pick<TestBff, 'api'>,
  threadId: string,
  stream: StreamClient,
): Promise<EndpointAccess> {
  stream.send({ type: 'subscribe', topic: `thread:${threadId}`, after: 0 });
  const before = stream.events(threadId).length;
  const sent = await bff.api(`/api/threads/${threadId}/messages`, {
    body: {
      clientId: clientId(),
      text: 'printf "%s %s %s" "$ANTHROPIC_BASE_URL" "$OPENAI_API_KEY" "$OPENAI_BASE_URL"',
    },
  });
  if (sent.status !== 202) throw new Error(`the message answered ${sent.status}`);
  const fresh = (): ThreadEvent[] => stream.events(threadId).slice(before);
  await stream.until(() => fresh().some((e) => e.kind === 'tool.result'), 20_000, 'the printf');
  const out = fresh()
    .flatMap((e) => (e.kind === 'tool.output' ? [e.data] : []))
    .join('');
  const [baseUrl, apiKey, openaiBaseUrl] = out.trim().split(' ');
  if (!baseUrl || !apiKey || openaiBaseUrl !== `${baseUrl}/v1`) throw new Error(`no model endpoint in: ${out}`);
  return { baseUrl, apiKey };
}

/** A ready process runtime of the owner, its first thread, and its endpoint. */
export async function runtimeWithEndpoint(bff: TestBff) {
  const { runtime, threadId } = await readyRuntime(bff);
  const stream = await bff.stream();
  const endpoint = await endpointOf(bff, threadId, stream);
  return { runtime, threadId, stream, endpoint };
}

/** An inference request frame, as a runtime sends it. */
export function inferenceRequest(requestId: string, body: Record<string, unknown> = {}, model = 'gpt') {
  return {
    type: 'executionGateway.request',
    requestId,
    capability: 'inference',
    payload: {
      api: 'openai-chat',
      model,
      body: { messages: [{ role: 'user', content: 'hi' }], stream: true, ...body },
    },
  };
}

/** The gateway frames a hand-driven link received for one request, in order. */
export function gatewayFrames(link: MachineLink, requestId: string): GatewayToRuntimeFrame[] {
  return link.frames.flatMap((frame) => {
    const parsed = GatewayToRuntimeFrameSchema.safeParse(frame);
    return parsed.success && parsed.data.requestId === requestId ? [parsed.data] : [];
  });
}

/** Whether a request has its final frame (a reply or an error). */
export function ended(link: MachineLink, requestId: string): boolean {
  return gatewayFrames(link, requestId).some(
    (f) => f.type === 'executionGateway.reply' || f.type === 'executionGateway.error',
  );
}

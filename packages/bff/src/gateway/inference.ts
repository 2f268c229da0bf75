import { InferenceRequestSchema, type InferenceApi, type ModelApi } from '@remote-chat/protocol';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { usageDay, type UsageStore } from '../store/usage-store.js';
import type { CapabilityHandler, GatewayCall } from './execution-gateway.js';
import type { ModelConfig } from './gateway-config.js';
import { GatewayError } from './gateway-error.js';
import type { Upstreams } from './upstream.js';
import { UsageMeter } from './usage-meter.js';

/** The API each inference request needs its model to speak. */
const MODEL_API_OF: Record<InferenceApi, ModelApi> = {
  'openai-chat': 'openai',
  'openai-responses': 'openai',
  'anthropic-messages': 'anthropic',
};

/** The inference APIs a model of each API serves, for the message that names the right one. */
const SERVED_BY: Record<ModelApi, string> = {
  openai: 'OpenAI chat completions (/v1/chat/completions) or responses (/v1/responses)',
  anthropic: 'Anthropic messages (/v1/messages)',
};

export interface InferenceHandlerOptions {
  models: readonly ModelConfig[];
  /** Input plus output tokens a user may spend per UTC day. @default no budget */
  dailyTokens?: number | undefined;
  usage: UsageStore;
  /** Whether the thread is the runtime's own (usage is counted for it only then). */
  ownsThread: (runtimeId: string, threadId: string) => Promise<boolean>;
  upstreams: Upstreams;
  logger: Logger;
  /** @default now */
  now?: () => Date;
}

/**
 * The `inference` capability: checks the request, the model and the user's daily budget, calls
 * the model's upstream with the server's key, and counts the tokens for the user, runtime, thread
 * and model of the call.
 */
export class InferenceHandler implements CapabilityHandler {
  readonly #models: Map<string, ModelConfig>;

  constructor(private readonly options: InferenceHandlerOptions) {
    this.#models = new Map(options.models.map((model) => [model.id, model]));
  }

  async handle(call: GatewayCall): Promise<unknown> {
    const parsed = InferenceRequestSchema.safeParse(call.payload);
    if (!parsed.success)
      throw new GatewayError(
        'bad_request',
        `Not an inference request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'} ${i.message}`).join('; ')}.`,
      );
    const request = parsed.data;
    const model = this.#models.get(request.model);
    if (!model) {
      const ids = [...this.#models.keys()];
      throw new GatewayError(
        'unknown_model',
        ids.length === 0
          ? 'This server has no model configured.'
          : `No model "${request.model}" here; this server offers ${ids.map((id) => `"${id}"`).join(', ')}.`,
      );
    }
    if (MODEL_API_OF[request.api] !== model.api)
      throw new GatewayError(
        'bad_request',
        `Model "${model.id}" speaks the ${model.api} API: send ${SERVED_BY[model.api]} requests for it.`,
      );
    const threadId = request.threadId ?? null;
    if (threadId && !(await this.options.ownsThread(call.runtimeId, threadId)))
      throw new GatewayError('bad_request', `Thread ${threadId} is not one of this runtime's threads.`);
    await this.#checkBudget(call.userId);

    const meter = new UsageMeter(request.api, request.body);
    try {
      return await this.options.upstreams.call({
        model,
        api: request.api,
        body: request.body,
        signal: call.signal,
        meter,
        notify: call.notify,
      });
    } finally {
      // Counted whatever the outcome: a call cut short still spent what it streamed.
      if (meter.spent) await this.#record(call, model.id, threadId, meter);
    }
  }

  async #checkBudget(userId: string): Promise<void> {
    const budget = this.options.dailyTokens;
    if (budget === undefined) return;
    const now = this.options.now?.() ?? new Date();
    const used = await this.options.usage.tokensOnDay(userId, usageDay(now));
    if (used < budget) return;
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    const minutes = Math.ceil((midnight - now.getTime()) / 60_000);
    throw new GatewayError(
      'budget_exhausted',
      `You have used today's model budget (${used.toLocaleString('en')} of ${budget.toLocaleString('en')} tokens). ` +
        `It renews at 00:00 UTC, in ${Math.floor(minutes / 60)} h ${minutes % 60} min.`,
    );
  }

  async #record(call: GatewayCall, model: string, threadId: string | null, meter: UsageMeter): Promise<void> {
    const usage = meter.usage();
    try {
      await this.options.usage.recordUsage({
        userId: call.userId,
        runtimeId: call.runtimeId,
        threadId,
        model,
        day: usageDay(this.options.now?.() ?? new Date()),
        ...usage,
      });
    } catch (error) {
      this.options.logger.error({ err: errorMessage(error), runtimeId: call.runtimeId }, 'cannot record model usage');
    }
  }
}

import type Anthropic from '@anthropic-ai/sdk';
import type { ModelInfo, TokenUsage } from '@remote-chat/protocol';
import type OpenAI from 'openai';
import type { ModelAccess } from '../../model-endpoint/model-access.js';
import type { ConversationItem } from './conversation.js';
import { ModelCallError, modelErrorOf } from './model-errors.js';

// One model call, in the dialect of the model's API, through the official clients: `openai`
// models by chat completions, `anthropic` models by messages. Both stream. The clients are loaded
// on first use: they are most of the runtime's code, and most runtimes start without calling a model.

/** A tool the model may call: its name, what it is for, and its arguments' JSON Schema. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface ModelRequest {
  system: string;
  items: readonly ConversationItem[];
  tools: readonly ToolSpec[];
  /** The most tokens the answer may have. */
  maxOutputTokens: number;
}

/** A tool call the model made, its arguments as the JSON text it wrote. */
export interface ModelToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ModelAnswer {
  text: string;
  toolCalls: ModelToolCall[];
  usage: TokenUsage;
  /** The answer ended at `maxOutputTokens`, not by itself. */
  cutOff: boolean;
}

export interface ModelClient {
  /** Calls the model, streaming its text to `onText`. Rejects with a ModelCallError. */
  call(request: ModelRequest, options: { signal: AbortSignal; onText?: (text: string) => void }): Promise<ModelAnswer>;
}

/** The client for `model`, through `access`. No retries underneath: the agent says what failed. */
export function modelClient(access: ModelAccess, model: ModelInfo): ModelClient {
  return model.api === 'anthropic' ? anthropicClient(access, model) : openaiClient(access, model);
}

function openaiClient(access: ModelAccess, model: ModelInfo): ModelClient {
  return {
    async call(request, { signal, onText }) {
      const { default: OpenAI } = await import('openai');
      const body: OpenAI.Chat.ChatCompletionCreateParamsStreaming = {
        model: model.id,
        messages: openaiMessages(request),
        stream: true,
        stream_options: { include_usage: true },
        ...(request.tools.length > 0
          ? {
              tools: request.tools.map((tool) => ({
                type: 'function' as const,
                function: { name: tool.name, description: tool.description, parameters: tool.parameters },
              })),
            }
          : {}),
      };
      try {
        const stream = access.inProcess
          ? (access.inProcess.stream('openai-chat', { ...body }, signal) as AsyncIterable<OpenAI.ChatCompletionChunk>)
          : await new OpenAI({
              baseURL: `${access.baseUrl}/v1`,
              apiKey: access.apiKey,
              maxRetries: 0,
            }).chat.completions.create(body, { signal });
        let text = '';
        const calls: ModelToolCall[] = [];
        let usage: TokenUsage | undefined;
        let finish: string | null | undefined;
        for await (const chunk of stream) {
          if (chunk.usage)
            usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
          const choice = chunk.choices[0];
          if (!choice) continue;
          finish = choice.finish_reason ?? finish;
          const { content, tool_calls: toolCalls } = choice.delta;
          if (content) {
            text += content;
            onText?.(content);
          }
          for (const delta of toolCalls ?? []) {
            const call = (calls[delta.index] ??= { id: '', name: '', arguments: '' });
            if (delta.id) call.id = delta.id;
            if (delta.function?.name) call.name += delta.function.name;
            if (delta.function?.arguments) call.arguments += delta.function.arguments;
          }
        }
        stopIfAborted(signal);
        return {
          text,
          toolCalls: calls.filter(Boolean),
          usage: usage ?? estimatedUsage(body, text, calls),
          cutOff: finish === 'length',
        };
      } catch (error) {
        throw modelErrorOf(error, signal, OpenAI);
      }
    },
  };
}

function openaiMessages(request: ModelRequest): OpenAI.Chat.ChatCompletionMessageParam[] {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'system', content: request.system }];
  for (const item of request.items) {
    if (item.role === 'user') messages.push({ role: 'user', content: item.text });
    else if (item.role === 'tool') messages.push({ role: 'tool', tool_call_id: item.toolUseId, content: item.text });
    else if (item.text || item.toolUses.length > 0) {
      messages.push({
        role: 'assistant',
        content: item.text || null,
        ...(item.toolUses.length > 0
          ? {
              tool_calls: item.toolUses.map((use) => ({
                id: use.id,
                type: 'function' as const,
                function: { name: use.name, arguments: JSON.stringify(use.input) },
              })),
            }
          : {}),
      });
    }
  }
  return messages;
}

function anthropicClient(access: ModelAccess, model: ModelInfo): ModelClient {
  return {
    async call(request, { signal, onText }) {
      const { default: Anthropic } = await import('@anthropic-ai/sdk');
      const body: Anthropic.MessageCreateParamsStreaming = {
        model: model.id,
        max_tokens: request.maxOutputTokens,
        system: request.system,
        messages: anthropicMessages(request.items),
        stream: true,
        ...(request.tools.length > 0
          ? {
              tools: request.tools.map((tool) => ({
                name: tool.name,
                description: tool.description,
                input_schema: { type: 'object' as const, ...tool.parameters },
              })),
            }
          : {}),
      };
      try {
        const stream = access.inProcess
          ? (access.inProcess.stream(
              'anthropic-messages',
              { ...body },
              signal,
            ) as AsyncIterable<Anthropic.MessageStreamEvent>)
          : await new Anthropic({ baseURL: access.baseUrl, apiKey: access.apiKey, maxRetries: 0 }).messages.create(
              body,
              {
                signal,
              },
            );
        let text = '';
        const calls = new Map<number, ModelToolCall>();
        const usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
        let stop: string | null = null;
        for await (const event of stream) {
          if (event.type === 'message_start') {
            usage.inputTokens = event.message.usage.input_tokens;
            usage.outputTokens = event.message.usage.output_tokens;
          } else if (event.type === 'content_block_start' && event.content_block.type === 'tool_use') {
            calls.set(event.index, { id: event.content_block.id, name: event.content_block.name, arguments: '' });
          } else if (event.type === 'content_block_delta') {
            if (event.delta.type === 'text_delta') {
              text += event.delta.text;
              onText?.(event.delta.text);
            } else if (event.delta.type === 'input_json_delta') {
              const call = calls.get(event.index);
              if (call) call.arguments += event.delta.partial_json;
            }
          } else if (event.type === 'message_delta') {
            stop = event.delta.stop_reason ?? stop;
            usage.outputTokens = event.usage.output_tokens;
            if (event.usage.input_tokens != null) usage.inputTokens = event.usage.input_tokens;
          }
        }
        stopIfAborted(signal);
        // A tool call with no arguments streams none: its input is the empty object.
        const toolCalls = [...calls.values()].map((call) => ({ ...call, arguments: call.arguments || '{}' }));
        return { text, toolCalls, usage, cutOff: stop === 'max_tokens' };
      } catch (error) {
        throw modelErrorOf(error, signal, Anthropic);
      }
    },
  };
}

/**
 * The conversation as Anthropic messages: user and assistant turns alternate, starting with a
 * user's, so a tool's result joins the user turn that follows it, and empty text is left out.
 */
function anthropicMessages(items: readonly ConversationItem[]): Anthropic.MessageParam[] {
  const messages: Anthropic.MessageParam[] = [];
  const add = (role: 'user' | 'assistant', blocks: Anthropic.ContentBlockParam[]): void => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last?.role === role && Array.isArray(last.content)) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const item of items) {
    if (item.role === 'user') add('user', item.text ? [{ type: 'text', text: item.text }] : []);
    else if (item.role === 'tool') {
      add('user', [
        {
          type: 'tool_result',
          tool_use_id: item.toolUseId,
          content: item.text || '(no output)',
          is_error: item.isError,
        },
      ]);
    } else {
      add('assistant', [
        ...(item.text ? [{ type: 'text' as const, text: item.text }] : []),
        ...item.toolUses.map((use) => ({ type: 'tool_use' as const, id: use.id, name: use.name, input: use.input })),
      ]);
    }
  }
  if (messages[0]?.role !== 'user')
    messages.unshift({ role: 'user', content: [{ type: 'text', text: '(continued)' }] });
  return messages;
}

/** The clients end a stream quietly when it is aborted; a Stop must not pass for a whole answer. */
function stopIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new ModelCallError('aborted', 'stopped');
}

/** For a server that reports no usage: about four characters a token. */
function estimatedUsage(body: unknown, text: string, calls: ModelToolCall[]): TokenUsage {
  const output = text.length + calls.reduce((sum, call) => sum + call.arguments.length, 0);
  return { inputTokens: Math.ceil(JSON.stringify(body).length / 4), outputTokens: Math.ceil(output / 4) };
}

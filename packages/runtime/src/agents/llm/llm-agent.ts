import {
  type AgentState,
  type EventBody,
  LIMITS,
  type ModelAccessKind,
  type ModelInfo,
  type TokenUsage,
} from '@remote-chat/protocol';
import type { Agent, AgentTurn } from '../agent.js';
import { type CommandSettings, commandSettings } from '../tool-calls.js';
import type { CommandTracker } from '../../tools/leftover-commands.js';
import { splitText, truncateText } from '../../tools/text-chunks.js';
import type { ModelAccess } from '../../model-endpoint/model-access.js';
import { DEFAULT_CONTEXT_WINDOW, cutPoint, estimateTokens, inputBudget } from './context-window.js';
import { type ConversationItem, conversationOf, transcriptOf } from './conversation.js';
import { type ModelAnswer, type ModelClient, type ModelRequest, modelClient } from './model-client.js';
import { ModelCallError, describeModelError } from './model-errors.js';
import { SUMMARY_PROMPT, SYSTEM_PROMPT } from './system-prompt.js';
import { TOOL_SPECS, runTool } from './tools.js';

export interface LlmAgentOptions {
  /** The folder the agent works in; its tools cannot leave it. */
  workspace: string;
  /** Whose models it calls (the person's own with `--own-models`), as `runtime.info` says. @default 'gateway' */
  modelAccess?: ModelAccessKind;
  /** The longest a command may run; `run_command` defaults to 5 minutes within it. @default 600_000 */
  commandTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL when a command is stopped. @default 2_000 */
  killGraceMs?: number;
  /** The environment of commands. @default commandEnv() */
  env?: NodeJS.ProcessEnv;
  /** Records running commands for the next runtime process. @default not recorded */
  commands?: CommandTracker;
  /** Model calls one message may take (tool steps); then the agent stops and says so. @default 50 */
  maxSteps?: number;
  /** The longest answer one model call may give, in tokens. @default 8192 */
  maxOutputTokens?: number;
  /** Streamed text goes out at most this often (the first piece at once). @default 30 */
  deltaIntervalMs?: number;
}

/** A summary of a thread's older turns: it stands for the events before `from`. */
interface Summary {
  from: number;
  text: string;
}

/**
 * The coding agent: a chat model with tools (run a command, read, write and edit files, list and
 * search them, git diff) that works in the workspace until it has answered. Agent id `llm` answers
 * with the first model the runtime can call, `llm:<model id>` with that one. Every model call goes
 * to the runtime's keyless model endpoint (`AgentTurn.model`), so the agent never holds a key.
 */
export class LlmAgent implements Agent {
  readonly id = 'llm';
  readonly label = 'LLM';
  readonly modelAccess: ModelAccessKind;
  readonly #options: LlmAgentOptions;
  readonly #commands: CommandSettings;
  /** Per thread, the summary of its older turns, once one was needed. Lost with the process: made again when needed. */
  readonly #summaries = new Map<string, Summary>();

  constructor(options: LlmAgentOptions) {
    this.#options = options;
    this.#commands = commandSettings(options);
    this.modelAccess = options.modelAccess ?? 'gateway';
  }

  async handle(turn: AgentTurn): Promise<void> {
    const run = new TurnRun(turn, this.#options.deltaIntervalMs ?? 30);
    try {
      const model = pickModel(turn.model, turn.message.agent);
      if (typeof model === 'string') {
        run.notice(model);
        return;
      }
      run.model = model.info.id;
      await this.#work(run, model.info, modelClient(model.access, model.info));
    } finally {
      run.end();
    }
  }

  /** The agent loop: call the model, run the tools it asks for, until it answers without tools. */
  async #work(run: TurnRun, info: ModelInfo, client: ModelClient): Promise<void> {
    const { turn } = run;
    const maxSteps = this.#options.maxSteps ?? 50;
    const maxOutputTokens = this.#options.maxOutputTokens ?? 8192;
    const { clientId, text, agent } = turn.message;
    const events = (): EventBody[] => [
      ...(turn.history ?? []),
      { kind: 'message.user', clientId, text, agent },
      ...run.emitted,
    ];
    for (let step = 1; step <= maxSteps; step++) {
      let answer: ModelAnswer;
      try {
        answer = await this.#callFitting(run, info, client, events, maxOutputTokens, step);
      } catch (error) {
        const failure = error instanceof ModelCallError ? error : new ModelCallError('other', String(error));
        run.notice(
          failure.failure === 'aborted' || turn.signal.aborted ? 'Stopped.' : describeModelError(failure, info),
        );
        return;
      }
      if (answer.toolCalls.length === 0) {
        run.closeMessage(answer.text || '(The model gave no answer.)', true);
        return;
      }
      if (answer.text) run.closeMessage(answer.text, false);
      run.status('running');
      for (const [index, call] of answer.toolCalls.entries()) {
        if (turn.signal.aborted) break;
        await runTool(call, `llm-${turn.message.seq}-${step}-${index + 1}`, {
          turn: run.tools,
          workspace: this.#options.workspace,
          commands: this.#commands,
        });
      }
      if (turn.signal.aborted) {
        run.notice('Stopped.');
        return;
      }
    }
    run.notice(
      `I stopped after ${maxSteps} steps, the most one message may take. Send another message (say, "continue") and I will go on from here.`,
    );
  }

  /**
   * One model call whose request fits the model's context window: older turns are summarised
   * when the estimate says it would not, and once more (keeping less) when the model says so.
   */
  async #callFitting(
    run: TurnRun,
    info: ModelInfo,
    client: ModelClient,
    events: () => EventBody[],
    maxOutputTokens: number,
    step: number,
  ): Promise<ModelAnswer> {
    const threadId = run.turn.message.threadId;
    const budget = inputBudget(info.contextWindow ?? DEFAULT_CONTEXT_WINDOW, maxOutputTokens);
    for (let attempt = 1; ; attempt++) {
      // A summary kept from a longer history would cover events this one does not have.
      const all = events();
      const kept = this.#summaries.get(threadId);
      const summary = kept && kept.from <= all.length ? kept : undefined;
      let request = requestOf(summary?.text, conversationOf(all, summary?.from ?? 0), maxOutputTokens);
      if (attempt > 1 || estimateTokens(request) > budget) {
        // The second time round the model has said it does not fit: keep half as much.
        const fitted = await this.#summarise(
          run,
          client,
          all,
          summary,
          budget / (attempt > 1 ? 5 : 2.5),
          maxOutputTokens,
        );
        if (fitted) request = fitted;
      }
      run.status('thinking');
      try {
        const answer = await client.call(request, {
          signal: run.turn.signal,
          onText: (text) => run.delta(`llm-${run.turn.message.seq}-${step}`, text),
        });
        run.addUsage(answer.usage);
        return answer;
      } catch (error) {
        if (!(error instanceof ModelCallError) || error.failure !== 'context_overflow' || attempt > 1) throw error;
        run.dropOpenMessage();
      }
    }
  }

  /** Summarises the conversation's older part in one model call; the request with the summary in its place. */
  async #summarise(
    run: TurnRun,
    client: ModelClient,
    all: EventBody[],
    previous: Summary | undefined,
    keepTokens: number,
    maxOutputTokens: number,
  ): Promise<ModelRequest | undefined> {
    const items = conversationOf(all, previous?.from ?? 0);
    const cut = cutPoint(items, keepTokens);
    if (cut === undefined) return undefined;
    const older = items.slice(0, cut).map(({ item }) => item);
    const earlier = previous ? `Summary of what came before:\n${previous.text}\n\n` : '';
    run.status('thinking');
    const answer = await client.call(
      {
        system: SUMMARY_PROMPT,
        items: [{ role: 'user', text: `${earlier}The conversation to summarise:\n\n${transcriptOf(older)}` }],
        tools: [],
        maxOutputTokens: Math.min(4_096, maxOutputTokens),
      },
      { signal: run.turn.signal },
    );
    run.addUsage(answer.usage);
    const summary: Summary = { from: items[cut]?.from ?? all.length, text: answer.text.trim() || '(nothing to note)' };
    this.#summaries.set(run.turn.message.threadId, summary);
    return requestOf(summary.text, items.slice(cut), maxOutputTokens);
  }
}

function requestOf(
  summary: string | undefined,
  sourced: ReturnType<typeof conversationOf>,
  maxOutputTokens: number,
): ModelRequest {
  const items: ConversationItem[] = sourced.map(({ item }) => item);
  if (summary !== undefined) {
    items.unshift({
      role: 'user',
      text: `(The older part of this conversation was summarised to fit the context window.)\n\n${summary}`,
    });
  }
  return { system: SYSTEM_PROMPT, items, tools: TOOL_SPECS, maxOutputTokens };
}

/** The model an agent id names (`llm`: the first; `llm:<id>`: that one), or a sentence saying why there is none. */
function pickModel(
  access: ModelAccess | undefined,
  agentId: string,
): { access: ModelAccess; info: ModelInfo } | string {
  const models = access?.models() ?? [];
  if (!access || models.length === 0) {
    return 'No model is configured for this runtime, so the LLM agent cannot answer. The Remote Chat server needs a model (see `REMOTE_CHAT_LLM_*` in its `--help`); meanwhile the `shell` agent works.';
  }
  const wanted = agentId.startsWith('llm:') ? agentId.slice('llm:'.length) : undefined;
  const info = wanted === undefined ? models[0] : models.find((model) => model.id === wanted);
  if (!info) {
    const known = models.map((model) => `\`llm:${model.id}\``).join(', ');
    return `There is no model \`${wanted}\` here. The models are ${known}.`;
  }
  return { access, info };
}

/**
 * The events of one turn: streamed text in messages (`llm-<seq>-<step>`), the statuses, and the
 * closing `message.agent` that carries the model and the turn's token usage. Keeps what it emitted,
 * which is the turn's part of the conversation.
 */
class TurnRun {
  readonly turn: AgentTurn;
  /** The turn as tools see it: what they emit is kept too. */
  readonly tools: AgentTurn;
  readonly emitted: EventBody[] = [];
  model: string | undefined;
  #usage: TokenUsage | undefined;
  #state: AgentState | undefined;
  #open: { messageId: string; text: string; pending: string; timer: NodeJS.Timeout | undefined } | undefined;
  #closed = false;
  readonly #intervalMs: number;

  constructor(turn: AgentTurn, intervalMs: number) {
    this.turn = turn;
    this.#intervalMs = intervalMs;
    this.tools = { ...turn, emit: (event) => this.#emit(event) };
  }

  addUsage(usage: TokenUsage): void {
    this.#usage = {
      inputTokens: (this.#usage?.inputTokens ?? 0) + usage.inputTokens,
      outputTokens: (this.#usage?.outputTokens ?? 0) + usage.outputTokens,
    };
  }

  status(state: AgentState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.turn.emit({ kind: 'status', state });
  }

  /** Streams a piece of text: the first piece of a message at once, then at most every interval. */
  delta(messageId: string, text: string): void {
    if (this.#open?.messageId !== messageId) {
      this.dropOpenMessage();
      this.#open = { messageId, text: '', pending: '', timer: undefined };
    }
    const open = this.#open;
    open.text += text;
    open.pending += text;
    if (open.timer) return;
    this.#flush();
    open.timer = setTimeout(() => this.#tick(), this.#intervalMs);
  }

  /** Ends the streamed message with its whole text (or says `text` as a new one); the last one of a turn carries the model and the usage. */
  closeMessage(text: string, last: boolean): void {
    const messageId = this.#open?.messageId ?? `llm-${this.turn.message.seq}-note`;
    if (this.#open) {
      this.#flush();
      clearTimeout(this.#open.timer);
      this.#open = undefined;
    } else {
      for (const piece of splitText(text, LIMITS.maxOutputChunkChars))
        this.#emit({ kind: 'message.delta', messageId, text: piece });
    }
    this.#emit({
      kind: 'message.agent',
      messageId,
      text: truncateText(text, LIMITS.maxMessageChars * 4, '\n\n[message cut]'),
      agent: this.turn.message.agent,
      // Which model answered, and what the turn cost, once: on its last message (the chat shows
      // them under it, not under every step).
      ...(last && this.model ? { model: this.model } : {}),
      ...(last && this.#usage ? { usage: this.#usage } : {}),
    });
    if (last) this.#closed = true;
  }

  /** Ends the turn with a note (stopped, a failure, the step limit), after what was streamed so far. */
  notice(text: string): void {
    const open = this.#open;
    if (open?.text) this.closeMessage(`${open.text}\n\n${text}`, true);
    else {
      this.dropOpenMessage();
      this.closeMessage(text, true);
    }
  }

  /** Forgets a message that streamed nothing worth keeping (a call that is tried again). */
  dropOpenMessage(): void {
    if (!this.#open) return;
    clearTimeout(this.#open.timer);
    if (this.#open.text) this.closeMessage(this.#open.text, false);
    this.#open = undefined;
  }

  end(): void {
    if (!this.#closed && this.#open) this.notice('Stopped.');
    this.status('idle');
  }

  #tick(): void {
    const open = this.#open;
    if (!open) return;
    open.timer = undefined;
    if (!open.pending) return;
    this.#flush();
    open.timer = setTimeout(() => this.#tick(), this.#intervalMs);
  }

  #flush(): void {
    const open = this.#open;
    if (!open?.pending) return;
    for (const piece of splitText(open.pending, LIMITS.maxOutputChunkChars)) {
      this.#emit({ kind: 'message.delta', messageId: open.messageId, text: piece });
    }
    open.pending = '';
  }

  #emit(event: EventBody): void {
    this.emitted.push(event);
    this.turn.emit(event);
  }
}

import type { AgentSocket } from '@remote-chat/link';
import type { Agent, AgentTurn } from '../agent.js';

/**
 * A process that registered on the runtime's agent endpoint: each message of a thread goes to it
 * as a `message` frame, its `event` frames come back as the turn's events, `done` ends the turn.
 */
export class ExternalAgent implements Agent {
  readonly kind = 'external';
  readonly #socket: AgentSocket;

  constructor(
    readonly id: string,
    readonly label: string,
    socket: AgentSocket,
  ) {
    this.#socket = socket;
  }

  handle(turn: AgentTurn): Promise<void> {
    const { message } = turn;
    return this.#socket.runTurn({
      threadId: message.threadId,
      turnId: String(message.seq),
      messageId: message.clientId,
      text: message.text,
      agent: message.agent,
      history: turn.history,
      signal: turn.signal,
      emit: turn.emit,
      askPermission: (question) => turn.askPermission(question),
    });
  }
}

import type { PendingMessage } from '../controllers/send-queue-controller.js';

export interface PendingChangeDetail {
  /** The messages on their way, oldest first: sending, waiting for the connection, failed, or sent but not yet in the thread. */
  readonly pending: readonly PendingMessage[];
  /** The change is a message the user just sent: bring it into view. */
  readonly sent: boolean;
}

/**
 * The messages a composer is sending changed. Whatever shows the conversation shows them at its
 * end (`<rc-chat>` does). It bubbles but is not composed: inside an element's shadow root it
 * reaches only that element.
 */
export class RcPendingChangeEvent extends Event {
  static readonly eventName = 'rc-pending-change';
  readonly detail: PendingChangeDetail;

  constructor(detail: PendingChangeDetail) {
    super(RcPendingChangeEvent.eventName, { bubbles: true, composed: false });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-pending-change': RcPendingChangeEvent;
  }
}

export interface PermissionAnswerDetail {
  readonly threadId: string;
  /** The request's id (`permission.request`'s `requestId`). */
  readonly requestId: string;
  /** The option the user chose. */
  readonly optionId: string;
}

/**
 * The user chose an option of an agent's permission request. Cancel it to send the answer
 * yourself; otherwise the element calls `client.answerPermission(threadId, requestId, optionId)`.
 */
export class RcPermissionAnswerEvent extends Event {
  static readonly eventName = 'rc-permission-answer';
  readonly detail: PermissionAnswerDetail;

  constructor(detail: PermissionAnswerDetail) {
    super(RcPermissionAnswerEvent.eventName, { bubbles: true, composed: true, cancelable: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-permission-answer': RcPermissionAnswerEvent;
  }
}

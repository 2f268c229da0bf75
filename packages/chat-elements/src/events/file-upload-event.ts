export interface FileUploadDetail {
  readonly threadId: string;
  /** The file the user pasted or dropped; already checked against the size limit. */
  readonly file: File;
}

/**
 * The user pasted or dropped a file into the composer. Cancel it to upload the file yourself
 * (then put its path in the message with `chat.insertText(path)`); otherwise the element uploads
 * it into the runtime's workspace through its client and puts the path in the message.
 */
export class RcFileUploadEvent extends Event {
  static readonly eventName = 'rc-file-upload';
  readonly detail: FileUploadDetail;

  constructor(detail: FileUploadDetail) {
    super(RcFileUploadEvent.eventName, { bubbles: true, composed: true, cancelable: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-file-upload': RcFileUploadEvent;
  }
}

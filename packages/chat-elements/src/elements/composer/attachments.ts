import { css, html, nothing } from 'lit';
import { ChatClientError, describeError } from '../../client/errors.js';
import type { RemoteChatClient } from '../../client/remote-chat-client.js';
import { formatBytes } from '../../util/format.js';

// The composer's attachments: their chips and their uploads. Loaded with the first attachment (a
// dynamic import: a file beside the one-file bundle), its styles adopted into the composer then.

/**
 * A file pasted or dropped into the composer: a chip until Send uploads it into the workspace and
 * adds its path to the message. `refused` (too big, say) goes nowhere; it shows why.
 */
export interface Attachment {
  id: number;
  file: File;
  name: string;
  bytes: number;
  /** An object URL of an image, for its thumbnail. */
  preview: string | undefined;
  /** Its path in the workspace, once uploaded: a send that failed for another file does not upload it again. */
  path: string | undefined;
  state: 'ready' | 'uploading' | 'uploaded' | 'failed' | 'refused';
  error: string;
}

/** A file as an attachment: refused (with why) over `maxBytes`; an image gets a thumbnail's URL. */
export function newAttachment(id: number, file: File, maxBytes: number): Attachment {
  const tooBig = file.size > maxBytes;
  return {
    id,
    file,
    name: file.name || 'pasted file',
    bytes: file.size,
    preview: !tooBig && file.type.startsWith('image/') ? URL.createObjectURL(file) : undefined,
    path: undefined,
    state: tooBig ? 'refused' : 'ready',
    error: tooBig ? `${formatBytes(file.size)} is over the ${formatBytes(maxBytes)} limit.` : '',
  };
}

/** A BFF from before uploads: the route is missing (404 "No such route.", or a bare 404/405). */
function noUploadRoute(error: unknown): boolean {
  if (!(error instanceof ChatClientError)) return false;
  return (
    error.status === 405 ||
    (error.status === 404 &&
      (error.message === 'No such route.' || error.message.startsWith('The chat server answered')))
  );
}

/** What uploading needs of the composer. */
interface Uploader {
  client: RemoteChatClient | undefined;
  threadId: string;
  _uploading: string;
  setAttachment(id: number, change: Partial<Attachment>): void;
}

/** Why an upload failed: in words, a BFF from before uploads (no route) said plainly. */
function uploadError(error: unknown): string {
  return noUploadRoute(error)
    ? 'this chat server does not take files yet (it has no POST /api/threads/:id/uploads)'
    : describeError(error);
}

/**
 * Uploads the attachments not uploaded yet, one at a time, saying which in `_uploading`; stops at
 * the first that fails. Returns why the message was not sent, or an empty string.
 */
export async function uploadAll(
  composer: Uploader,
  threadId: string,
  attached: readonly Attachment[],
): Promise<string> {
  const waiting = attached.filter((a) => !a.path);
  for (const [index, a] of waiting.entries()) {
    composer._uploading = `Uploading ${waiting.length === 1 ? a.name : `${index + 1} of ${waiting.length} files`}…`;
    const set = (change: Partial<Attachment>) => composer.setAttachment(a.id, change);
    let error = composer.client ? '' : 'there is no chat server to upload to';
    if (composer.client) {
      set({ state: 'uploading', error: '' });
      try {
        set({ state: 'uploaded', path: (await composer.client.uploadFile(threadId, a.file)).path });
      } catch (failure) {
        error = uploadError(failure);
      }
    }
    if (threadId !== composer.threadId) return '';
    if (error) {
      set({ state: 'failed', error });
      return `Not sent: ${a.name} could not be uploaded (${error}). Remove it, or press Send to try again.`;
    }
  }
  return '';
}

/** An attachment's chip: a thumbnail (an image) or a file icon, name, size or state, and Remove. */
function attachmentChip(a: Attachment, onRemove: (id: number) => void) {
  const status =
    a.state === 'uploading'
      ? html`<span class="spinner" aria-hidden="true"></span> Uploading…`
      : a.state === 'uploaded'
        ? 'Uploaded'
        : a.state === 'refused'
          ? html`<span role="alert">Not attached: ${a.error}</span>`
          : a.state === 'failed'
            ? html`<span role="alert">Not uploaded: ${a.error}</span>`
            : formatBytes(a.bytes);
  return html`<li class="attachment ${a.state}" part="attachment">
    ${
      a.preview
        ? html`<img class="thumb" src=${a.preview} alt="" />`
        : html`<svg class="thumb file-icon" viewBox="0 0 16 16" aria-hidden="true"><path d="M4 1.5h5l3.5 3.5v9.5h-8.5z M9 1.5v3.5h3.5" /></svg>`
    }
    <span class="attachment-text">
      <span class="attachment-name" title=${a.name}>${a.name}</span>
      <span class="attachment-status">${status}</span>
    </span>
    <button
      class="remove"
      type="button"
      aria-label="Remove ${a.name}"
      ?disabled=${a.state === 'uploading'}
      @click=${() => onRemove(a.id)}
    >
      <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M4 4l8 8M12 4l-8 8" /></svg>
    </button>
  </li>`;
}

/** The chips, and why the last Send did not go out. */
export function attachmentsList(attachments: readonly Attachment[], sendError: string, onRemove: (id: number) => void) {
  return html`<div class="attachments-area">
    ${
      attachments.length
        ? html`<ul class="attachments" aria-label="Attachments">${attachments.map((a) => attachmentChip(a, onRemove))}</ul>`
        : nothing
    }
    ${sendError ? html`<p class="send-error" role="alert">${sendError}</p>` : nothing}
  </div>`;
}

export const attachmentStyles = css`
  .attachments {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4rem;
    margin: 0 0 0.4rem;
    padding: 0;
    list-style: none;
    font-size: 0.85em;
  }
  .attachment {
    display: flex;
    align-items: center;
    gap: 0.45rem;
    max-width: min(100%, 18rem);
    padding: 0.25rem 0.25rem 0.25rem 0.3rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .attachment.failed,
  .attachment.refused {
    border-color: var(--_danger);
    background: var(--_danger-soft);
  }
  .thumb {
    flex: none;
    width: 2.5rem;
    height: 2.5rem;
    border-radius: calc(var(--_radius) * 0.6);
    object-fit: cover;
    background: var(--_surface-raised);
  }
  .file-icon {
    padding: 0.5rem;
    box-sizing: border-box;
    fill: none;
    stroke: var(--_muted);
    stroke-width: 1.2;
    stroke-linejoin: round;
  }
  .attachment-text {
    display: flex;
    flex-direction: column;
    min-width: 0;
  }
  .attachment-name {
    overflow: hidden;
    font-family: var(--_mono);
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .attachment-status {
    display: inline-flex;
    align-items: center;
    gap: 0.3rem;
    color: var(--_muted);
    font-size: 0.9em;
  }
  .attachment.failed .attachment-status,
  .attachment.refused .attachment-status {
    color: var(--_danger);
  }
  .remove {
    flex: none;
    display: inline-grid;
    place-items: center;
    width: 2rem;
    height: 2rem;
    padding: 0;
    border: 0;
    border-radius: var(--_radius);
    background: transparent;
    color: var(--_muted);
    cursor: pointer;
  }
  .remove:hover:not(:disabled) {
    background: color-mix(in srgb, var(--_text) 8%, transparent);
    color: var(--_text);
  }
  .remove:disabled {
    cursor: not-allowed;
    opacity: 0.5;
  }
  .remove svg {
    width: 0.9rem;
    height: 0.9rem;
    fill: none;
    stroke: currentColor;
    stroke-width: 1.8;
    stroke-linecap: round;
  }
  .send-error {
    margin: 0 0 0.4rem;
    color: var(--_danger);
    font-size: 0.85em;
  }

`;

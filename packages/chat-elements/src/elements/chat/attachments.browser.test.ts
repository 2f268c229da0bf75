// A pasted or dropped file is an attachment until Send: a chip with a thumbnail (an image) or its
// name, removable; Send uploads it and puts its path in the message; a failed upload keeps the
// message, says why, and Send tries again.
import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import { LIMITS } from '@remote-chat/protocol';
import { FakeBff, type FakeBffOptions } from '../../fixtures/fake-bff.js';
import { cleanUp, deepQueryAll, fixture, part, visibleText, waitFor } from '../../fixtures/harness.js';
import { pngFile } from '../../fixtures/png.js';
import { readyRuntime } from '../../fixtures/runtimes.js';
import { threads } from '../../fixtures/threads.js';
import type { RcChat } from './chat.js';
import './define.js';

afterEach(cleanUp);

/** A real 8×6 PNG. */
const png = (name: string) => pngFile(name, 8, 6);

async function liveChat(options: Partial<FakeBffOptions> = {}, maxUploadBytes = LIMITS.maxUploadBytes) {
  const bff = new FakeBff({ state: { runtimes: [readyRuntime], threads, events: {} }, latencyMs: 5, ...options });
  const chat = await fixture<RcChat>(
    html`<rc-chat
      thread-id="th_first"
      .maxUploadBytes=${maxUploadBytes}
      .runtime=${readyRuntime}
      .client=${bff.client()}
    ></rc-chat>`,
    { width: '390px', height: '700px' },
  );
  return { bff, chat, box: part<HTMLTextAreaElement>(chat, 'textarea') };
}

function paste(box: HTMLTextAreaElement, ...files: File[]): void {
  const data = new DataTransfer();
  for (const file of files) data.items.add(file);
  box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
}

const chips = (chat: RcChat) => deepQueryAll(chat, '[part="attachment"]');
const sentTexts = (bff: FakeBff) =>
  (bff.state.events['th_first'] ?? []).flatMap((e) => (e.kind === 'message.user' ? [e.text] : []));

describe('<rc-chat> attachments', () => {
  it('shows a pasted image as a thumbnail, uploads nothing until Send, then sends its path', async () => {
    const { bff, chat, box } = await liveChat();
    box.focus();
    await userEvent.keyboard('look at');
    paste(box, await png('screenshot.png'));
    await waitFor(() => chips(chat).length === 1, { what: 'the chip' });
    const thumb = chips(chat)[0]!.querySelector('img')!;
    await waitFor(() => thumb.complete && thumb.naturalWidth === 8, { what: 'the thumbnail' });
    expect(chips(chat)[0]!.textContent).toContain('screenshot.png');
    // The text is the user's alone, and nothing went up yet.
    expect(box.value).toBe('look at');
    expect(bff.uploads.size).toBe(0);

    await userEvent.keyboard('{Enter}');
    await waitFor(() => sentTexts(bff).length === 1, { what: 'the message' });
    const [path] = [...bff.uploads.keys()];
    expect(path).toMatch(/^uploads\/\d{8}-\d{6}-screenshot\.png$/);
    expect(sentTexts(bff)).toEqual([`look at ${path}`]);
    expect(chips(chat)).toHaveLength(0);
    expect(box.value).toBe('');
  });

  it('lets a file be removed before Send: it is never uploaded', async () => {
    const { bff, chat, box } = await liveChat();
    box.focus();
    await userEvent.keyboard('wc -c');
    paste(box, new File(['one'], 'keep.txt', { type: 'text/plain' }), await png('oops.png'));
    await waitFor(() => chips(chat).length === 2, { what: 'two chips' });
    await userEvent.click(chips(chat)[1]!.querySelector('button[aria-label="Remove oops.png"]')!);
    await waitFor(() => chips(chat).length === 1, { what: 'one chip' });
    expect(chips(chat)[0]!.textContent).toContain('keep.txt');
    // Deleting the text does not leave a file behind either: only what is attached goes.
    await userEvent.click(part(chat, 'send-button'));
    await waitFor(() => sentTexts(bff).length === 1, { what: 'the message' });
    expect([...bff.uploads.keys()]).toEqual([expect.stringMatching(/-keep\.txt$/)]);
    expect(sentTexts(bff)[0]).toMatch(/^wc -c uploads\/\d{8}-\d{6}-keep\.txt$/);
  });

  it('keeps the message when an upload fails, says why, and sends once the file is removed', async () => {
    // A BFF from before uploads: the route is not there.
    const { bff, chat, box } = await liveChat({ uploads: false });
    box.focus();
    await userEvent.keyboard('cat it');
    paste(box, new File(['x'], 'note.txt', { type: 'text/plain' }));
    await waitFor(() => chips(chat).length === 1, { what: 'the chip' });
    await userEvent.keyboard('{Enter}');
    await waitFor(() => visibleText(chat).includes('Not sent: note.txt could not be uploaded'), { what: 'the error' });
    expect(visibleText(chat)).toContain('does not take files');
    expect(box.value).toBe('cat it');
    expect(bff.messagePosts).toHaveLength(0);

    await userEvent.click(chips(chat)[0]!.querySelector('button')!);
    expect(visibleText(chat)).not.toContain('Not sent');
    await userEvent.keyboard('{Enter}');
    await waitFor(() => sentTexts(bff).length === 1, { what: 'the message' });
    expect(sentTexts(bff)).toEqual(['cat it']);
  });

  it('refuses a dropped file over the size limit, saying why, and sends the text without it', async () => {
    const { bff, chat, box } = await liveChat({}, 1024);
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(4096)], 'big.bin'));
    part(chat, 'base').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    await waitFor(() => visibleText(chat).includes('over the 1.0 KB limit'), { what: 'the refusal' });
    box.focus();
    await userEvent.keyboard('ls{Enter}');
    await waitFor(() => sentTexts(bff).length === 1, { what: 'the message' });
    expect(sentTexts(bff)).toEqual(['ls']);
    expect(bff.uploads.size).toBe(0);
  });
});

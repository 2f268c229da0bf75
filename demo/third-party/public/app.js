// Acme Notes' glue for the chat: the element asks this site's backend for a client token for
// whoever is signed in here, and again shortly before it expires. A file, not an inline script:
// the page's CSP allows scripts from this origin and the chat's only.
const chat = document.querySelector('remote-chat');

chat.tokenProvider = async () => {
  const response = await fetch('/session/chat-token', { method: 'POST', headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new Error(body?.error?.message ?? `Acme Notes answered ${response.status}.`);
  return body; // { token: 'rcc_…', expiresAt: '…' }
};

// The chat shows why it stopped, with a Try again button. A site could also send its user to
// its own sign-in page here.
chat.addEventListener('rc-token-expired', (event) => {
  console.warn(`acme: the chat's token lapsed (${event.detail.reason}): ${event.detail.message}`);
});

// "Use your own computer": a machine token for this user, shown as the command to run.
const machineButton = document.querySelector('#machine-token');
// Enabled only once it does something: a click before this script ran would be lost.
if (machineButton) machineButton.disabled = false;
machineButton?.addEventListener('click', async () => {
  const command = document.querySelector('#machine-command');
  const problem = document.querySelector('#machine-problem');
  problem.hidden = true;
  const response = await fetch('/session/machine-token', { method: 'POST', headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => undefined);
  if (!response.ok) {
    problem.textContent = body?.error?.message ?? `Acme Notes answered ${response.status}.`;
    problem.hidden = false;
    return;
  }
  command.textContent = [
    `curl -fO ${body.chatUrl}/remote-chat-runtime.js`,
    `REMOTE_CHAT_TOKEN=${body.token} node remote-chat-runtime.js connect --url ${body.chatUrl}`,
  ].join('\n');
  command.hidden = false;
});

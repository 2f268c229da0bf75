// The baseline: a bare `ws` server with no store, no auth, no validation. `/send` sockets send
// text frames that the server forwards, unchanged, to every `/recv` socket. A `/recv` socket opened
// with `?replay=N&size=S` first gets N frames of S bytes (a stand-in for a replay) and then
// `{"type":"caught-up"}`. `config.cork` corks a tick's writes (the corked baseline of the peers
// scenario). Talks to the parent over IPC like bff-child.mjs.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { WebSocketServer } from 'ws';

const config = JSON.parse(process.env.BENCH_RELAY ?? '{}');
const receivers = new Set();
const http = createServer((_req, res) => res.end('relay'));
const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 1 << 20 });

wss.on('connection', (ws, req) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/send') {
    ws.on('message', (data) => {
      const text = data.toString();
      if (config.cork) corkReceivers();
      for (const r of receivers) r.send(text);
    });
    return;
  }
  receivers.add(ws);
  ws.on('close', () => receivers.delete(ws));
  ws.on('error', () => receivers.delete(ws));
  // Like the BFF's stream: the client says what it wants (the first frame starts a replay when
  // the URL asked for one), the server answers.
  const replay = Number(url.searchParams.get('replay') ?? 0);
  let asked = false;
  ws.on('message', () => {
    if (replay > 0 && !asked) {
      asked = true;
      void sendReplay(ws, replay, Number(url.searchParams.get('size') ?? 300));
    } else ws.send('{"type":"subscribed"}');
  });
});

// `config.cork`: a relay that corks each receiver's socket for the rest of the tick, so the frames
// of one read (ws parses a whole TCP chunk at once) leave in one write per receiver.
let corked = false;
function corkReceivers() {
  if (corked) return;
  corked = true;
  const sockets = [...receivers].map((r) => r._socket).filter(Boolean);
  for (const socket of sockets) socket.cork();
  process.nextTick(() => {
    corked = false;
    for (const socket of sockets) socket.uncork();
  });
}

/** Sends in pages like the hub does, yielding between pages, with backpressure like the BFF's limit. */
async function sendReplay(ws, n, size) {
  const pad = 'x'.repeat(Math.max(0, size - 60));
  for (let seq = 1; seq <= n; seq++) {
    ws.send(`{"type":"event","seq":${seq},"data":"${pad}"}`);
    if (seq % 1000 === 0) {
      await new Promise((r) => setImmediate(r));
      while (ws.bufferedAmount > 1 << 20) await new Promise((r) => setTimeout(r, 1));
    }
  }
  ws.send('{"type":"caught-up"}');
}

function memory() {
  globalThis.gc?.();
  globalThis.gc?.();
  const usage = process.memoryUsage();
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return { ...usage, vmRss: rss ? Number(rss[1]) * 1024 : usage.rss, gc: typeof globalThis.gc === 'function' };
}

process.on('message', (message) => {
  const { id, op } = message;
  if (op === 'memory') process.send({ id, result: memory() });
  else if (op === 'close') {
    for (const c of wss.clients) c.terminate();
    http.close(() => {
      process.send({ id, result: true });
      setImmediate(() => process.exit(0));
    });
  } else process.send({ id, error: `unknown op ${op}` });
});

http.listen(config.port ?? 0, '127.0.0.1', () => {
  const { port } = http.address();
  process.send({ ready: true, url: `http://127.0.0.1:${port}`, pid: process.pid });
});

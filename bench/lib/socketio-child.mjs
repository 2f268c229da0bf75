// The socket.io peer of the peers scenario: a socket.io server (WebSocket transport only, no
// compression) that forwards each `e` event from a sender to every receiver, storing nothing.
// Clients say their role in the handshake's query (`role=send` or `role=recv`). Talks to the
// parent over IPC like bff-child.mjs.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const config = JSON.parse(process.env.BENCH_SOCKETIO ?? '{}');
const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });

io.on('connection', (socket) => {
  if (socket.handshake.query.role === 'send') socket.on('e', (text) => io.to('recv').emit('e', text));
  else socket.join('recv');
});

process.on('message', (message) => {
  const { id, op } = message;
  if (op === 'close') {
    io.close(() => {
      process.send({ id, result: true });
      setImmediate(() => process.exit(0));
    });
  } else process.send({ id, error: `unknown op ${op}` });
});

http.listen(config.port ?? 0, '127.0.0.1', () => {
  const { port } = http.address();
  process.send({ ready: true, url: `http://127.0.0.1:${port}`, pid: process.pid });
});

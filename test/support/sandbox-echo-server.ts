import { createRequire } from 'node:module';

const wsModule = createRequire(import.meta.url).resolve('ws');

/**
 * A Node script that, run inside a stand-in sandbox, serves HTTP (`{name} {method} {path}`) and
 * echoes WebSocket messages (`{name}: {message}`) on `port`, printing `listening` once ready. It
 * takes `ws` from this checkout's node_modules, which a sandbox sees read-only.
 */
export function echoServerScript(port: number, name: string): string {
  return `
const http = require('node:http');
const { WebSocketServer } = require(${JSON.stringify(wsModule)});
const server = http.createServer((request, response) => response.end(${JSON.stringify(name)} + ' ' + request.method + ' ' + request.url));
new WebSocketServer({ server }).on('connection', (socket) => {
  socket.on('message', (message) => socket.send(${JSON.stringify(name)} + ': ' + message));
});
server.listen(${port}, () => console.log('listening'));
`;
}

import WebSocket from 'ws';

/**
 * Opens `WS /api/stream` (or another path) with these headers and resolves with the HTTP status
 * of the upgrade: 101 when the socket opened (it is closed again at once), else the refusal's.
 */
export function upgradeStatus(
  bffUrl: string,
  headers: Record<string, string> = {},
  pathAndQuery = '/api/stream',
): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${bffUrl.replace(/^http/, 'ws')}${pathAndQuery}`, { headers });
    socket.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    socket.on('open', () => {
      socket.close();
      resolve(101);
    });
    socket.on('error', (error) => reject(error));
  });
}

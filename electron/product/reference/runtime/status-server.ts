/**
 * The tiny HTTP server every reference service runs on its port: GET /status answers JSON, so
 * readiness can be a port probe or a status request.
 */
import { createServer, type Server } from 'node:http';

/** Starts listening; resolves once the port is bound (rejects when it is in use). */
export function startStatusServer(port: number, host: string, status: () => Readonly<Record<string, unknown>>): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/status' || req.url?.startsWith('/status?'))) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status()));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found' }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Stops accepting connections and closes idle ones. */
export function stopStatusServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

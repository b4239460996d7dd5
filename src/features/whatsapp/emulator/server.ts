import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpServer {
  /** `http://host:port`, IPv6 hosts bracketed. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A plain `node:http` server (raw bytes in and out, no framework) listening on a loopback address.
 * `close()` also ends idle keep-alive connections so tests finish promptly.
 */
export async function startHttpServer(
  host: string,
  port: number,
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<HttpServer> {
  const server = http.createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    handler(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

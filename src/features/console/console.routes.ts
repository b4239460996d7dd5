import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { secure } from '../../http/route-security.ts';

/** Paths that belong to the server, never to the console's client-side routes. */
const SERVER_PATHS = /^\/(?:api|webhooks|healthz|readyz|metrics|_emulator)(?:[/?]|$)/;
const ASSET_NAME = /^[A-Za-z0-9_.-]{1,120}$/;
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/**
 * Serves the built console (`web/dist`): hashed assets with a long cache (they hold code, never
 * data), and `index.html` for `/` and every client-side route, never cached. Server paths that
 * match no route keep their JSON 404.
 */
export function consoleRoutes(app: FastifyInstance, deps: { dir: string }): void {
  const assets = path.join(deps.dir, 'assets');

  app.get('/assets/:file', secure.by('public', 'the console static bundle; no data'), (request, reply) => {
    const { file } = request.params as { file: string };
    const type = TYPES[path.extname(file)];
    const full = path.join(assets, file);
    if (!ASSET_NAME.test(file) || !type || !fs.existsSync(full)) return reply.callNotFound();
    return reply
      .type(type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(fs.createReadStream(full));
  });

  const page = (url: string, reply: FastifyReply) => {
    if (SERVER_PATHS.test(url)) return reply.callNotFound();
    const index = path.join(deps.dir, 'index.html');
    if (!fs.existsSync(index))
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The console is not built yet: run `npm run build` (or restart with `npm start`).');
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(fs.readFileSync(index));
  };
  app.get('/', secure.by('public', 'the console single-page shell; no data'), (request, reply) =>
    page(request.url, reply),
  );
  app.get('/*', secure.by('public', 'the console single-page shell; no data'), (request, reply) =>
    page(request.url, reply),
  );
}

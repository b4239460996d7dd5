import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthenticatedError } from '../../lib/errors.ts';
import type { Metrics } from './metrics.ts';
import { secure } from '../../http/route-security.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Who may scrape: with `CHATVAULT_METRICS_TOKEN` set, whoever presents it as a bearer token; without
 * one, only a client on this machine that did not come through a proxy (a proxied request carries
 * `X-Forwarded-For`, and behind nginx every client would otherwise look local).
 */
function authorizeScrape(request: FastifyRequest, token: string | undefined): void {
  if (token !== undefined) {
    const header = request.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (!timingSafeEqual(digest(presented), digest(token))) {
      throw new UnauthenticatedError('A valid metrics bearer token is required');
    }
    return;
  }
  if (!LOOPBACK.has(request.ip) || request.headers['x-forwarded-for'] !== undefined) {
    throw new ForbiddenError(
      'Metrics are served to this machine only; set CHATVAULT_METRICS_TOKEN to scrape remotely',
    );
  }
}

/**
 * `/metrics` in Prometheus text format, and the hook that times every request. Register it before
 * the feature routes so the hook sees all of them.
 */
export function metricsRoutes(app: FastifyInstance, deps: { metrics: Metrics; token: string | undefined }) {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  app.get(
    '/metrics',
    secure.by('metricsToken', 'operational counters only; no tenant data'),
    async (request, reply) => {
      authorizeScrape(request, deps.token);
      const { contentType, body } = await deps.metrics.render();
      return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
    },
  );
}

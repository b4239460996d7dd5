import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireActor } from '../../http/actor.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Access } from '../access/access.service.ts';
import { idParam } from '../conversations/conversations.schema.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { CollectService } from './collect.service.ts';
import { CollectRateLimitedError, type CollectLimiter } from './rate-limit.ts';
import { secure } from '../../http/route-security.ts';

/** The hosted form's policy: own script, style and API only; no form posts, never framed. */
export const COLLECT_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; form-action 'none'; " +
  "frame-ancestors 'none'; base-uri 'none'";

const PUBLIC_DIR = path.join(import.meta.dirname, 'public');
const ASSETS: Record<string, { file: string; type: string }> = {
  '/collect/': { file: 'collect.html', type: 'text/html; charset=utf-8' },
  '/collect/collect.js': { file: 'collect.js', type: 'text/javascript; charset=utf-8' },
  '/collect/collect.css': { file: 'collect.css', type: 'text/css; charset=utf-8' },
};

/** The link token: sent by the page in a header (it lives in the URL fragment, never in a path). */
function tokenOf(request: FastifyRequest): string {
  const token = request.headers['x-collect-token'];
  if (typeof token !== 'string') throw new NotFoundError('This link has expired or was already used');
  return token;
}

/**
 * Secure collection: the agent API (create a link, the tenant notice) and the public page the customer
 * opens (HTML, one script, one stylesheet, a form endpoint and a submit endpoint), all under the strict
 * collect CSP with `no-store` and `no-referrer`.
 */
export function collectRoutes(
  app: FastifyInstance,
  deps: {
    access: Pick<Access, 'session'>;
    tenants: Pick<TenantService, 'getById'>;
    collect: CollectService;
    limiter: CollectLimiter;
  },
): void {
  const context = async (request: FastifyRequest) => {
    const actor = requireActor(request);
    const [session, tenant] = await Promise.all([
      deps.access.session(actor),
      deps.tenants.getById(actor.tenantId),
    ]);
    return { session, tenant };
  };
  const files = new Map(
    Object.entries(ASSETS).map(([url, a]) => [
      url,
      { ...a, data: fs.readFileSync(path.join(PUBLIC_DIR, a.file)) },
    ]),
  );

  // Registered after the app-wide security headers, so this stricter policy is the one sent.
  app.addHook('onSend', async (request, reply) => {
    if (!request.url.startsWith('/collect/')) return;
    void reply.header('content-security-policy', COLLECT_CSP);
    void reply.header('cache-control', 'no-store');
    void reply.header('referrer-policy', 'no-referrer');
  });

  // The public page and its endpoints are limited per client address and per link token: 429 with
  // Retry-After and a one-line reason, before any database work.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/collect/')) return;
    const token = request.headers['x-collect-token'];
    try {
      deps.limiter.check(request.ip, typeof token === 'string' ? token : undefined);
    } catch (error) {
      if (error instanceof CollectRateLimitedError)
        void reply.header('retry-after', String(error.retryAfterSeconds));
      throw error;
    }
  });

  for (const [url, asset] of files) {
    app.get(url, secure.by('public', 'the collect page static assets; no data'), async (_request, reply) =>
      reply.type(asset.type).send(asset.data),
    );
  }

  app.get(
    '/collect/form',
    secure.by('linkToken', 'the collect link token in the request names one form'),
    async (request) => deps.collect.form(tokenOf(request)),
  );

  app.post(
    '/collect/submit',
    {
      bodyLimit: 32 * 1024,
      ...secure.by('linkToken', 'the collect link token in the request names one form'),
    },
    async (request, reply) => {
      await deps.collect.submit(tokenOf(request), request.body, { ip: request.ip, requestId: request.id });
      return reply.status(204).send();
    },
  );

  app.post('/api/v1/conversations/:id/collect-links', secure.cedar('sendMessage'), async (request, reply) => {
    const { session, tenant } = await context(request);
    const id = parseInput(idParam, request.params).id;
    return reply.status(201).send(await deps.collect.createLink(session, tenant, id, request.body));
  });

  app.get('/api/v1/collect/notice', secure.cedar('manageChannels'), async (request) => {
    const { session, tenant } = await context(request);
    return deps.collect.getNotice(session, tenant);
  });

  app.put('/api/v1/collect/notice', secure.cedar('manageChannels'), async (request) => {
    const { session, tenant } = await context(request);
    return deps.collect.setNotice(session, tenant, request.body);
  });
}

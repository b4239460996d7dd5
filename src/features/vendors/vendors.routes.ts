import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireActor } from '../../http/actor.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Access } from '../access/access.service.ts';
import { tenantResource } from '../access/entities.ts';
import type { ApiKeyService } from '../api-keys/api-keys.service.ts';
import { requireFreshMfa } from '../auth/step-up.ts';
import type { VendorWebhooks } from '../vendor-webhooks/webhooks.service.ts';
import { reportCsv, type VendorReports } from './report.service.ts';
import { reportQuery, suspendReason } from './vendors.schema.ts';
import type { VendorService } from './vendors.service.ts';
import { secure } from '../../http/route-security.ts';

const idParam = z
  .object({
    id: z
      .string()
      .max(40)
      .regex(/^[a-z]{2,4}_[0-9a-z]{26}$/, 'id must be an id'),
  })
  .strict();
const reasonBody = z.object({ reason: suspendReason }).strict();
const deliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }).strict();

/**
 * The vendor register API for staff: vendors (Cedar `manageVendors`), their keys and webhooks
 * (`manageApiKeys`, which needs a fresh second factor), suspension and reactivation, and the
 * per-vendor access report (`manageVendors`, or `readAudit` for auditors) as JSON or CSV.
 */
export function vendorRoutes(
  app: FastifyInstance,
  deps: {
    access: Pick<Access, 'session'>;
    vendors: VendorService;
    apiKeys: ApiKeyService;
    webhooks: VendorWebhooks;
    reports: VendorReports;
  },
): void {
  const { vendors, apiKeys, webhooks } = deps;

  async function caller(request: FastifyRequest, action: 'manageVendors' | 'manageApiKeys', id?: string) {
    const actor = requireActor(request);
    const session = await deps.access.session(actor);
    const type = action === 'manageVendors' ? 'Vendor' : 'ApiKey';
    await session.enforce(action, tenantResource(type, actor.tenantId, id ?? actor.tenantId), {
      type: type === 'Vendor' ? 'vendor' : 'api_key',
      id: id ?? actor.tenantId,
      what: type === 'Vendor' ? 'Vendor' : 'API key',
    });
    // Issuing or revoking credentials is a step-up action even under a permissive tenant policy.
    if (action === 'manageApiKeys') requireFreshMfa(actor);
    return {
      tenantId: actor.tenantId,
      actor: session.auditActor,
      ctx: { clientIp: actor.ip, requestId: actor.requestId },
      session,
    };
  }
  const id = (request: FastifyRequest) => parseInput(idParam, request.params).id;

  app.get('/api/v1/vendors', secure.cedar('manageVendors'), async (request) => {
    const c = await caller(request, 'manageVendors');
    return { vendors: await vendors.list(c.tenantId) };
  });
  app.post('/api/v1/vendors', secure.cedar('manageVendors'), async (request, reply) => {
    const c = await caller(request, 'manageVendors');
    return reply
      .status(201)
      .send({ vendor: await vendors.create(c.tenantId, request.body as never, c.actor, c.ctx) });
  });
  app.get('/api/v1/vendors/:id', secure.cedar('manageVendors'), async (request) => {
    const c = await caller(request, 'manageVendors', id(request));
    return { vendor: await vendors.current(c.tenantId, id(request)) };
  });
  app.patch('/api/v1/vendors/:id', secure.cedar('manageVendors'), async (request) => {
    const c = await caller(request, 'manageVendors', id(request));
    return { vendor: await vendors.update(c.tenantId, id(request), request.body, c.actor, c.ctx) };
  });
  app.post('/api/v1/vendors/:id/suspend', secure.cedar('manageVendors'), async (request) => {
    const c = await caller(request, 'manageVendors', id(request));
    const { reason } = parseInput(reasonBody, request.body);
    return { vendor: await vendors.suspend(c.tenantId, id(request), reason, c.actor, c.ctx) };
  });
  app.post('/api/v1/vendors/:id/reactivate', secure.cedar('manageVendors'), async (request) => {
    const c = await caller(request, 'manageVendors', id(request));
    const { reason } = parseInput(reasonBody, request.body);
    return { vendor: await vendors.reactivate(c.tenantId, id(request), reason, c.actor, c.ctx) };
  });

  app.get('/api/v1/vendors/:id/keys', secure.cedar('manageVendors'), async (request) => {
    const c = await caller(request, 'manageVendors', id(request));
    await vendors.get(c.tenantId, id(request));
    return { keys: await apiKeys.list(c.tenantId, id(request)) };
  });
  app.post('/api/v1/vendors/:id/keys', secure.cedar('manageApiKeys'), async (request, reply) => {
    const c = await caller(request, 'manageApiKeys');
    const created = await apiKeys.create(c.tenantId, id(request), request.body as never, c.actor, c.ctx);
    void reply.header('cache-control', 'no-store');
    return reply.status(201).send(created);
  });
  app.post('/api/v1/api-keys/:id/revoke', secure.cedar('manageApiKeys'), async (request) => {
    const c = await caller(request, 'manageApiKeys', id(request));
    return { key: await apiKeys.revoke(c.tenantId, id(request), c.actor, c.ctx) };
  });

  app.get('/api/v1/vendors/:id/webhooks', secure.cedar('manageVendors'), async (request) => {
    const c = await caller(request, 'manageVendors', id(request));
    await vendors.get(c.tenantId, id(request)); // another tenant's vendor answers 404
    return { webhooks: await webhooks.list(c.tenantId, id(request)) };
  });
  app.post('/api/v1/vendors/:id/webhooks', secure.cedar('manageApiKeys'), async (request, reply) => {
    const c = await caller(request, 'manageApiKeys');
    await vendors.get(c.tenantId, id(request));
    const created = await webhooks.subscribe(c.tenantId, id(request), request.body as never, c.actor, c.ctx);
    void reply.header('cache-control', 'no-store');
    return reply.status(201).send(created);
  });
  app.post('/api/v1/vendor-webhooks/:id/disable', secure.cedar('manageVendors'), async (request) => {
    const c = await caller(request, 'manageVendors');
    return { webhook: await webhooks.disable(c.tenantId, id(request), c.actor, c.ctx) };
  });
  app.get('/api/v1/vendor-webhooks/:id/deliveries', secure.cedar('manageVendors'), async (request) => {
    const c = await caller(request, 'manageVendors');
    const { limit } = parseInput(deliveriesQuery, request.query);
    return { deliveries: await webhooks.deliveries(c.tenantId, id(request), limit) };
  });

  app.get(
    '/api/v1/vendors/:id/report',
    secure.cedar('manageVendors', 'readAudit'),
    async (request, reply) => {
      const actor = requireActor(request);
      const session = await deps.access.session(actor);
      const vendorId = id(request);
      if (!session.decide('manageVendors', tenantResource('Vendor', actor.tenantId, vendorId)).allowed)
        await session.enforce('readAudit', tenantResource('AuditLog', actor.tenantId), {
          type: 'audit_log',
          id: actor.tenantId,
          what: 'Audit log',
        });
      const q = parseInput(reportQuery, request.query);
      const report = await deps.reports.report(actor.tenantId, vendorId, q);
      if (q.format === 'json') return report;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="vendor-${vendorId}-access.csv"`)
        .send(reportCsv(report));
    },
  );
}

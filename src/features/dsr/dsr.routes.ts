import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ID_PATTERN } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Access } from '../access/access.service.ts';
import { enforceWorkspace } from '../consent/workspace-guard.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { DsrService } from './dsr.service.ts';
import { secure } from '../../http/route-security.ts';

const idParams = z.object({ id: z.string().regex(ID_PATTERN) }).strict();
const tokenParams = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/) }).strict();
const execute = z
  .object({
    reason: z.string().trim().min(5).max(500),
    fields: z.record(z.string().max(40), z.unknown()).optional(),
  })
  .strict();

/**
 * Data-subject requests. Listing and reading need `readDataRequests` (admins, the auditor/DPO);
 * creating and executing need `handleDataRequests` (admins, fresh second factor, a reason).
 * `GET /dsr/download/:token` is the customer's one-time link: no session, the token is the key.
 */
export function dsrRoutes(
  app: FastifyInstance,
  deps: {
    access: Pick<Access, 'session'>;
    tenants: Pick<TenantService, 'getById'>;
    dsr: DsrService;
    publicUrl: string;
  },
): void {
  app.get('/api/v1/dsr/requests', secure.cedar('readDataRequests'), async (request) => {
    const session = await enforceWorkspace(deps.access, request, 'readDataRequests');
    return { requests: await deps.dsr.list(session.actor.tenantId) };
  });

  app.get('/api/v1/dsr/requests/:id', secure.cedar('readDataRequests'), async (request) => {
    const session = await enforceWorkspace(deps.access, request, 'readDataRequests');
    return deps.dsr.get(session.actor.tenantId, parseInput(idParams, request.params).id);
  });

  app.post('/api/v1/dsr/requests', secure.cedar('handleDataRequests'), async (request, reply) => {
    const session = await enforceWorkspace(deps.access, request, 'handleDataRequests', { hasReason: true });
    const tenant = await deps.tenants.getById(session.actor.tenantId);
    return reply.status(201).send(await deps.dsr.create(tenant, request.body, session.auditActor));
  });

  app.post('/api/v1/dsr/requests/:id/execute', secure.cedar('handleDataRequests'), async (request) => {
    const session = await enforceWorkspace(deps.access, request, 'handleDataRequests', { hasReason: true });
    const body = parseInput(execute, request.body);
    const tenant = await deps.tenants.getById(session.actor.tenantId);
    const { id } = parseInput(idParams, request.params);
    const current = await deps.dsr.get(tenant.id, id);
    if (current.type === 'erasure') return deps.dsr.executeErasure(tenant, id, session.auditActor);
    if (current.type === 'rectification')
      return {
        request: await deps.dsr.executeRectification(tenant, id, body.fields ?? {}, session.auditActor),
      };
    const done = await deps.dsr.executeAccess(tenant, id, session.auditActor);
    return {
      request: done.request,
      // Shown once: the link for the customer and, separately, the passphrase that opens the archive.
      downloadUrl: `${deps.publicUrl}/dsr/download/${done.token}`,
      passphrase: done.passphrase,
      expiresAt: done.expiresAt,
      bytes: done.bytes,
    };
  });

  app.get('/api/v1/dsr/settings', secure.cedar('readDataRequests'), async (request) => {
    const session = await enforceWorkspace(deps.access, request, 'readDataRequests');
    return deps.dsr.settings(session.actor.tenantId);
  });

  app.put('/api/v1/dsr/settings', secure.cedar('handleDataRequests'), async (request) => {
    const session = await enforceWorkspace(deps.access, request, 'handleDataRequests', { hasReason: true });
    return deps.dsr.saveSettings(session.actor.tenantId, request.body);
  });

  app.get(
    '/dsr/download/:token',
    secure.by('linkToken', 'the single-use download token of a finished access request'),
    async (request, reply) => {
      const { token } = parseInput(tokenParams, request.params);
      const bytes = await deps.dsr.download(token);
      return reply
        .header('cache-control', 'no-store')
        .header('content-disposition', 'attachment; filename="my-data.cvdsr"')
        .type('application/octet-stream')
        .send(bytes);
    },
  );
}

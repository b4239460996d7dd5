import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ID_PATTERN } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Access } from '../access/access.service.ts';
import { enforceWorkspace } from '../consent/workspace-guard.ts';
import type { createLegalHolds } from './legal-holds.ts';
import type { Retention } from './retention.service.ts';
import { secure } from '../../http/route-security.ts';

const idParams = z.object({ id: z.string().regex(ID_PATTERN) }).strict();
const holdBody = z.object({ reason: z.string().trim().min(5).max(500) }).strict();

/** Retention policy, legal holds and an on-demand purge run (the worker runs it hourly as well). */
export function retentionRoutes(
  app: FastifyInstance,
  deps: {
    access: Pick<Access, 'session'>;
    retention: Retention;
    holds: ReturnType<typeof createLegalHolds>;
  },
): void {
  app.get('/api/v1/retention/policy', secure.cedar('readDataRequests'), async (request) => {
    const session = await enforceWorkspace(deps.access, request, 'readDataRequests');
    return deps.retention.policy(session.actor.tenantId);
  });

  app.put('/api/v1/retention/policy', secure.cedar('handleDataRequests'), async (request) => {
    const session = await enforceWorkspace(deps.access, request, 'handleDataRequests', { hasReason: true });
    return deps.retention.setPolicy(session.actor.tenantId, request.body);
  });

  app.post('/api/v1/retention/run', secure.cedar('handleDataRequests'), async (request) => {
    const session = await enforceWorkspace(deps.access, request, 'handleDataRequests', { hasReason: true });
    return deps.retention.run(session.actor.tenantId);
  });

  app.put('/api/v1/contacts/:id/legal-hold', secure.cedar('handleDataRequests'), async (request, reply) => {
    const session = await enforceWorkspace(deps.access, request, 'handleDataRequests', { hasReason: true });
    const { reason } = parseInput(holdBody, request.body);
    const { id } = parseInput(idParams, request.params);
    await deps.holds.place(session.actor.tenantId, id, reason, session.auditActor);
    return reply.status(204).send();
  });

  app.delete(
    '/api/v1/contacts/:id/legal-hold',
    secure.cedar('handleDataRequests'),
    async (request, reply) => {
      const session = await enforceWorkspace(deps.access, request, 'handleDataRequests', { hasReason: true });
      const { id } = parseInput(idParams, request.params);
      await deps.holds.release(session.actor.tenantId, id, session.auditActor);
      return reply.status(204).send();
    },
  );
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ID_PATTERN } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Access } from '../access/access.service.ts';
import type { ConsentLedger } from './consent.service.ts';
import { consentImport } from './consent.schema.ts';
import { enforceWorkspace } from './workspace-guard.ts';
import { secure } from '../../http/route-security.ts';

const contactParams = z.object({ id: z.string().regex(ID_PATTERN) }).strict();

/**
 * Consent API: import opt-ins with evidence, a customer's history, the tenant's keywords and replies.
 * All behind `manageConsent` (marketers and admins by default).
 */
export function consentRoutes(
  app: FastifyInstance,
  deps: { access: Pick<Access, 'session'>; consent: ConsentLedger },
): void {
  app.post('/api/v1/consent/import', secure.cedar('manageConsent'), async (request, reply) => {
    const session = await enforceWorkspace(deps.access, request, 'manageConsent');
    const body = parseInput(consentImport, request.body);
    const result = await deps.consent.importEvents(session.actor.tenantId, body.items, session.auditActor);
    return reply.status(201).send(result);
  });

  app.get('/api/v1/contacts/:id/consent', secure.cedar('manageConsent'), async (request) => {
    const session = await enforceWorkspace(deps.access, request, 'manageConsent');
    const { id } = parseInput(contactParams, request.params);
    return deps.consent.history(session.actor.tenantId, id, session.auditActor, request.id);
  });

  app.get('/api/v1/consent/settings', secure.cedar('manageConsent'), async (request) => {
    const session = await enforceWorkspace(deps.access, request, 'manageConsent');
    return (await deps.consent.settings(session.actor.tenantId)).value;
  });

  app.put('/api/v1/consent/settings', secure.cedar('manageConsent'), async (request) => {
    const session = await enforceWorkspace(deps.access, request, 'manageConsent');
    return deps.consent.saveSettings(session.actor.tenantId, request.body);
  });
}

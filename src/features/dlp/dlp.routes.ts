import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireActor } from '../../http/actor.ts';
import { ID_PATTERN } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Access } from '../access/access.service.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { RestrictedReveal } from './restricted.service.ts';
import { secure } from '../../http/route-security.ts';

const params = z
  .object({
    id: z.string().max(40).regex(ID_PATTERN, 'id must be an id'),
    messageId: z.string().max(40).regex(ID_PATTERN, 'id must be an id'),
  })
  .strict();

/** Revealing the restricted part of a message: `POST …/messages/:messageId/restricted` with `{ reason }`. */
export function dlpRoutes(
  app: FastifyInstance,
  deps: {
    access: Pick<Access, 'session'>;
    tenants: Pick<TenantService, 'getById'>;
    reveal: RestrictedReveal;
  },
): void {
  app.post(
    '/api/v1/conversations/:id/messages/:messageId/restricted',
    secure.cedar('revealRestricted'),
    async (request) => {
      const actor = requireActor(request);
      const { id, messageId } = parseInput(params, request.params);
      const [session, tenant] = await Promise.all([
        deps.access.session(actor),
        deps.tenants.getById(actor.tenantId),
      ]);
      return deps.reveal.reveal(session, tenant, id, messageId, request.body);
    },
  );
}

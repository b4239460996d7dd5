import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import { requireActor } from '../../http/actor.ts';
import type { Access } from '../access/access.service.ts';
import { contactFacts } from '../access/directory.service.ts';
import { conversationEntities } from '../access/entities.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { MediaService } from './media.service.ts';
import { secure } from '../../http/route-security.ts';

const params = z.object({ mediaId: z.string().regex(/^md_[0-9a-z]{26}$/) });

/**
 * Operators download a customer's media through ChatVault: authorised as reading that conversation
 * (Cedar `readMessages`), recorded as a `sensitive_read`, decrypted on the fly, never cached.
 */
export function mediaRoutes(
  app: FastifyInstance,
  deps: { db: Db; access: Pick<Access, 'session'>; audit: Pick<AuditService, 'append'>; media: MediaService },
): void {
  app.get('/api/v1/media/:mediaId', secure.cedar('readMessages'), async (request, reply) => {
    const actor = requireActor(request);
    const { mediaId } = parseInput(params, request.params);
    const row = await deps.db
      .selectFrom('media')
      .innerJoin('messages', 'messages.id', 'media.message_id')
      .select(['media.contact_id', 'messages.conversation_id'])
      .where('media.tenant_id', '=', actor.tenantId)
      .where('media.id', '=', mediaId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Media');
    const session = await deps.access.session(actor);
    const facts = (await contactFacts(deps.db, actor.tenantId, [row.contact_id])).get(row.contact_id)!;
    const { resource, related } = conversationEntities(row.conversation_id, facts);
    const decision = await session.enforce(
      'readMessages',
      resource,
      { type: 'conversation', id: row.conversation_id, what: 'Media' },
      { related },
    );
    await deps.db.transaction().execute((trx) =>
      deps.audit.append(trx, {
        tenantId: actor.tenantId,
        actor: { type: 'operator', id: actor.id },
        action: 'sensitive_read',
        target: { type: 'media', id: mediaId },
        outcome: 'success',
        policyIds: decision.policyIds,
        clientIp: actor.ip,
        requestId: actor.requestId,
      }),
    );
    const opened = await deps.media.open(actor.tenantId, mediaId);
    return reply
      .header('content-type', opened.mimeType)
      .header('content-disposition', 'attachment')
      .header('content-length', String(opened.size))
      .send(opened.stream);
  });
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { ForbiddenError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import { requireActor, type Actor } from '../../http/actor.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { requireFreshMfa } from '../auth/step-up.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { GraphClient } from '../whatsapp/graph/graph-client.ts';
import type { ChannelService } from './channels.service.ts';
import { secure } from '../../http/route-security.ts';

const params = z.object({ channelId: z.string().regex(/^ch_[0-9a-z]{26}$/) });
const pinBody = z.object({ pin: z.string().regex(/^\d{6}$/, 'the PIN is six digits') }).strict();

function requireChannelAdmin(actor: Actor): void {
  if (actor.role !== 'admin' && actor.role !== 'owner')
    throw new ForbiddenError('Only admins and owners manage channels');
}

/**
 * Channel management for admins: the masked list, secret rotation, and the business number's
 * two-step verification PIN (set through the Graph API; fresh second factor required; audited; the
 * PIN itself is never stored or logged).
 */
export function channelRoutes(
  app: FastifyInstance,
  deps: {
    db: Db;
    channels: ChannelService;
    tenants: Pick<TenantService, 'getById'>;
    graph: Pick<GraphClient, 'setTwoStepPin'>;
    audit: Pick<AuditService, 'append'>;
    clock: Clock;
  },
): void {
  const record = (actor: Actor, channelId: string, what: string, outcome: 'success' | 'failure') =>
    deps.db.transaction().execute((trx) =>
      deps.audit.append(trx, {
        tenantId: actor.tenantId,
        actor: { type: 'operator', id: actor.id },
        action: 'sensitive_update',
        target: { type: 'channel', id: channelId },
        outcome,
        detail: { change: what },
        clientIp: actor.ip,
        requestId: actor.requestId,
      }),
    );

  app.get('/api/v1/channels', secure.roles('admin', 'owner'), async (request) => {
    const actor = requireActor(request);
    requireChannelAdmin(actor);
    return deps.channels.list(await deps.tenants.getById(actor.tenantId));
  });

  app.post('/api/v1/channels/:channelId/secrets', secure.roles('admin', 'owner'), async (request) => {
    const actor = requireActor(request);
    requireChannelAdmin(actor);
    requireFreshMfa(actor, undefined, deps.clock.now());
    const { channelId } = parseInput(params, request.params);
    const rotated = await deps.channels.rotateSecrets(
      await deps.tenants.getById(actor.tenantId),
      channelId,
      request.body,
    );
    await record(actor, channelId, 'secrets_rotated', 'success');
    return rotated;
  });

  app.post('/api/v1/channels/:channelId/two-step-pin', secure.roles('admin', 'owner'), async (request) => {
    const actor = requireActor(request);
    requireChannelAdmin(actor);
    requireFreshMfa(actor, undefined, deps.clock.now());
    const { channelId } = parseInput(params, request.params);
    const { pin } = parseInput(pinBody, request.body);
    const channel = await deps.channels.getForTenant(actor.tenantId, channelId);
    try {
      await deps.graph.setTwoStepPin(channel, pin);
    } catch (error) {
      await record(actor, channelId, 'two_step_pin', 'failure');
      throw error;
    }
    await record(actor, channelId, 'two_step_pin', 'success');
    return { updated: true };
  });
}

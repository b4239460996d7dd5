import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import { requireActor, type Actor } from '../../http/actor.ts';
import type { Access } from '../access/access.service.ts';
import { tenantResource } from '../access/entities.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { requireFreshMfa } from '../auth/step-up.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { GraphClient } from '../whatsapp/graph/graph-client.ts';
import type { ChannelService } from './channels.service.ts';
import { secure } from '../../http/route-security.ts';

const params = z.object({ channelId: z.string().regex(/^ch_[0-9a-z]{26}$/) });
const pinBody = z.object({ pin: z.string().regex(/^\d{6}$/, 'the PIN is six digits') }).strict();

/**
 * Channel management for admins (Cedar `manageChannels`): the masked list, secret rotation, and the business number's
 * two-step verification PIN (set through the Graph API; fresh second factor required; audited; the
 * PIN itself is never stored or logged).
 */
export function channelRoutes(
  app: FastifyInstance,
  deps: {
    db: Db;
    access: Pick<Access, 'session'>;
    channels: ChannelService;
    tenants: Pick<TenantService, 'getById'>;
    graph: Pick<GraphClient, 'setTwoStepPin'>;
    audit: Pick<AuditService, 'append'>;
    clock: Clock;
  },
): void {
  /** Cedar `manageChannels`, decided before anything about the request is read. */
  const channelAdmin = async (request: FastifyRequest): Promise<Actor> => {
    const session = await deps.access.session(requireActor(request));
    const tenantId = session.actor.tenantId;
    await session.enforce('manageChannels', tenantResource('Workspace', tenantId), {
      type: 'workspace',
      id: tenantId,
      what: 'Workspace',
    });
    return session.actor;
  };
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

  app.get('/api/v1/channels', secure.cedar('manageChannels'), async (request) => {
    const actor = await channelAdmin(request);
    return deps.channels.list(await deps.tenants.getById(actor.tenantId));
  });

  app.post('/api/v1/channels/:channelId/secrets', secure.cedar('manageChannels'), async (request) => {
    const actor = await channelAdmin(request);
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

  app.post('/api/v1/channels/:channelId/two-step-pin', secure.cedar('manageChannels'), async (request) => {
    const actor = await channelAdmin(request);
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

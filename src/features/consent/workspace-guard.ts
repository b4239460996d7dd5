import type { FastifyRequest } from 'fastify';
import { requireActor } from '../../http/actor.ts';
import type { Access } from '../access/access.service.ts';
import type { ActionId } from '../access/cedar-schema.ts';
import { tenantResource } from '../access/entities.ts';

/**
 * Decides a workspace-wide privacy action (consent, data requests, retention) for the caller, through
 * the policy decision point like every other route; a deny is recorded and answered by `enforce`.
 */
export async function enforceWorkspace(
  access: Pick<Access, 'session'>,
  request: FastifyRequest,
  action: ActionId,
  options: { hasReason?: boolean } = {},
) {
  const session = await access.session(requireActor(request));
  const tenantId = session.actor.tenantId;
  await session.enforce(
    action,
    tenantResource('Workspace', tenantId),
    { type: 'workspace', id: tenantId, what: 'Workspace' },
    options,
  );
  return session;
}

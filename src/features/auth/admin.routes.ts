import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireActor } from '../../http/actor.ts';
import { secure } from '../../http/route-security.ts';
import { ForbiddenError } from '../../lib/errors.ts';
import { ID_PATTERN } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Access } from '../access/access.service.ts';
import { tenantResource } from '../access/entities.ts';
import type { AccessSession } from '../access/sessions.ts';
import type { OperatorService } from '../operators/operators.service.ts';
import { maskOperator } from '../operators/operators.service.ts';
import type { OperatorRole } from '../operators/operators.table.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { Auth } from './auth.service.ts';
import { requestContext } from './authenticate.ts';

const idParam = z.object({ id: z.string().regex(ID_PATTERN) }).strict();

/**
 * Operator lifecycle for admins and owners of the same tenant (`/api/v1/operators/*`, settings):
 * Cedar `manageOperators`, and `manageOwners` too when the operator concerned is an owner.
 */
export function adminRoutes(
  app: FastifyInstance,
  deps: {
    auth: Auth;
    access: Pick<Access, 'session'>;
    operators: Pick<OperatorService, 'getById'>;
    tenants: Pick<TenantService, 'getById'>;
  },
): void {
  const { auth } = deps;
  const workspace = (session: AccessSession) => {
    const tenantId = session.actor.tenantId;
    return [
      tenantResource('Workspace', tenantId),
      { type: 'workspace', id: tenantId, what: 'Workspace' },
    ] as const;
  };
  /** Decides `manageOperators` (then the step-up, where asked) before anything about the request is read. */
  const admin = async (request: FastifyRequest, stepUp: boolean) => {
    const session = await deps.access.session(requireActor(request));
    await session.enforce('manageOperators', ...workspace(session));
    if (stepUp) auth.stepUp.require(session.actor);
    return session;
  };
  /** Managing an owner (or inviting one) needs `manageOwners` as well. */
  const mayManage = async (session: AccessSession, role: OperatorRole) => {
    if (role === 'owner') await session.enforce('manageOwners', ...workspace(session));
  };
  const author = (session: AccessSession) => session.auditActor;
  /** The target operator, in the caller's tenant (another tenant's id answers 404). */
  const target = async (request: FastifyRequest, session: AccessSession) => {
    const op = await deps.operators.getById(session.actor.tenantId, parseInput(idParam, request.params).id);
    await mayManage(session, op.role);
    return op;
  };

  app.post('/api/v1/operators', secure.cedar('manageOperators'), async (request, reply) => {
    const session = await admin(request, true);
    const body = parseInput(z.object({ role: z.string().max(16) }).passthrough(), request.body);
    await mayManage(session, body.role === 'owner' ? 'owner' : 'agent');
    const tenant = await deps.tenants.getById(session.actor.tenantId);
    const { operator, link } = await auth.enrollment.createOperator(
      tenant,
      request.body as never,
      author(session),
      requestContext(request),
    );
    return reply
      .status(201)
      .send({ operator: maskOperator(operator), enrollmentUrl: link.url, expiresAt: link.expiresAt });
  });

  app.post('/api/v1/operators/:id/enrollment', secure.cedar('manageOperators'), async (request) => {
    const session = await admin(request, true);
    const op = await target(request, session);
    const link = await auth.admin.reenroll(op, author(session), requestContext(request));
    return { enrollmentUrl: link.url, expiresAt: link.expiresAt };
  });

  app.post('/api/v1/operators/:id/disable', secure.cedar('manageOperators'), async (request, reply) => {
    const session = await admin(request, true);
    const op = await target(request, session);
    if (op.id === session.actor.id) throw new ForbiddenError('You cannot disable yourself');
    await auth.admin.disable(op, author(session), requestContext(request));
    return reply.status(204).send();
  });

  app.post('/api/v1/operators/:id/sessions/revoke', secure.cedar('manageOperators'), async (request) => {
    const session = await admin(request, false);
    const op = await target(request, session);
    return { revoked: await auth.admin.revokeSessions(op, author(session), requestContext(request)) };
  });

  app.post('/api/v1/operators/:id/unlock', secure.cedar('manageOperators'), async (request) => {
    const session = await admin(request, false);
    const op = await target(request, session);
    return { cleared: await auth.admin.unlock(op, author(session), requestContext(request)) };
  });

  app.get('/api/v1/auth/settings', secure.cedar('manageOperators'), async (request) =>
    auth.settings.get((await admin(request, false)).actor.tenantId),
  );
  app.put('/api/v1/auth/settings', secure.cedar('manageOperators'), async (request) => {
    const session = await admin(request, true);
    return auth.admin.updateSettings(
      session.actor.tenantId,
      request.body,
      author(session),
      requestContext(request),
    );
  });
}

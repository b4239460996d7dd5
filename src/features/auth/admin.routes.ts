import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireActor, type Actor } from '../../http/actor.ts';
import { ForbiddenError } from '../../lib/errors.ts';
import { ID_PATTERN } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { OperatorService } from '../operators/operators.service.ts';
import { maskOperator } from '../operators/operators.service.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import { assertMayManage } from './admin.service.ts';
import type { Auth } from './auth.service.ts';
import { requestContext } from './authenticate.ts';
import { secure } from '../../http/route-security.ts';

const idParam = z.object({ id: z.string().regex(ID_PATTERN) }).strict();

/** Operator lifecycle for admins and owners of the same tenant (`/api/v1/operators/*`, settings). */
export function adminRoutes(
  app: FastifyInstance,
  deps: { auth: Auth; operators: Pick<OperatorService, 'getById'>; tenants: Pick<TenantService, 'getById'> },
): void {
  const { auth } = deps;
  const author = (actor: Actor) => ({ type: 'operator' as const, id: actor.id });
  const admin = (request: FastifyRequest, stepUp: boolean) => {
    const actor = requireActor(request);
    if (actor.role !== 'admin' && actor.role !== 'owner') throw new ForbiddenError();
    if (stepUp) auth.stepUp.require(actor);
    return actor;
  };
  /** The target operator, in the caller's tenant (another tenant's id answers 404). */
  const target = async (request: FastifyRequest, actor: Actor) => {
    const op = await deps.operators.getById(actor.tenantId, parseInput(idParam, request.params).id);
    assertMayManage(actor.role, op.role);
    return op;
  };

  app.post('/api/v1/operators', secure.roles('admin', 'owner'), async (request, reply) => {
    const actor = admin(request, true);
    const body = parseInput(z.object({ role: z.string().max(16) }).passthrough(), request.body);
    assertMayManage(actor.role, body.role === 'owner' ? 'owner' : 'agent');
    const tenant = await deps.tenants.getById(actor.tenantId);
    const { operator, link } = await auth.enrollment.createOperator(
      tenant,
      request.body as never,
      author(actor),
      requestContext(request),
    );
    return reply
      .status(201)
      .send({ operator: maskOperator(operator), enrollmentUrl: link.url, expiresAt: link.expiresAt });
  });

  app.post('/api/v1/operators/:id/enrollment', secure.roles('admin', 'owner'), async (request) => {
    const actor = admin(request, true);
    const op = await target(request, actor);
    const link = await auth.admin.reenroll(op, author(actor), requestContext(request));
    return { enrollmentUrl: link.url, expiresAt: link.expiresAt };
  });

  app.post('/api/v1/operators/:id/disable', secure.roles('admin', 'owner'), async (request, reply) => {
    const actor = admin(request, true);
    const op = await target(request, actor);
    if (op.id === actor.id) throw new ForbiddenError('You cannot disable yourself');
    await auth.admin.disable(op, author(actor), requestContext(request));
    return reply.status(204).send();
  });

  app.post('/api/v1/operators/:id/sessions/revoke', secure.roles('admin', 'owner'), async (request) => {
    const actor = admin(request, false);
    const op = await target(request, actor);
    return { revoked: await auth.admin.revokeSessions(op, author(actor), requestContext(request)) };
  });

  app.post('/api/v1/operators/:id/unlock', secure.roles('admin', 'owner'), async (request) => {
    const actor = admin(request, false);
    const op = await target(request, actor);
    return { cleared: await auth.admin.unlock(op, author(actor), requestContext(request)) };
  });

  app.get('/api/v1/auth/settings', secure.roles('admin', 'owner'), (request) =>
    auth.settings.get(admin(request, false).tenantId),
  );
  app.put('/api/v1/auth/settings', secure.roles('admin', 'owner'), async (request) => {
    const actor = admin(request, true);
    return auth.admin.updateSettings(actor.tenantId, request.body, author(actor), requestContext(request));
  });
}

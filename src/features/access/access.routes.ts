import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireActor } from '../../http/actor.ts';
import { parseInput } from '../../lib/validation.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import { id } from './access.schema.ts';
import type { Access } from './access.service.ts';
import { secure } from '../../http/route-security.ts';

const idParam = z.object({ id: id('id') }).strict();
const assignmentParams = z.object({ contactId: id('contactId'), operatorId: id('operatorId') }).strict();
const trainingQuery = z.object({ operatorId: id('operatorId').optional() }).strict();

/**
 * The access API: projected contacts and reveals, assignments, break-glass, four-eyes approvals,
 * training records and tenant policies. Every route needs an authenticated actor (401 otherwise)
 * and decides through the caller's policy session; another tenant's record answers 404.
 */
export function accessRoutes(
  app: FastifyInstance,
  deps: { access: Access; tenants: Pick<TenantService, 'getById'> },
) {
  const { access } = deps;
  const session = (request: FastifyRequest) => access.session(requireActor(request));
  const tenantOf = (request: FastifyRequest) => deps.tenants.getById(requireActor(request).tenantId);
  const param = (request: FastifyRequest) => parseInput(idParam, request.params).id;

  app.get('/api/v1/contacts', secure.cedar('listContacts'), async (request) =>
    access.directory.list(
      await session(request),
      await tenantOf(request),
      request.query as Record<string, unknown>,
    ),
  );

  app.get('/api/v1/contacts/:id', secure.cedar('readMasked'), async (request) => ({
    contact: await access.directory.get(await session(request), await tenantOf(request), param(request)),
  }));

  app.post('/api/v1/contacts/:id/reveal', secure.cedar('revealField'), async (request) =>
    access.reveals.reveal(
      await session(request),
      await tenantOf(request),
      param(request),
      request.body as never,
    ),
  );

  app.get(
    '/api/v1/access/me',
    secure.session('the caller own access state; no other operator or customer'),
    async (request) => {
      const s = await session(request);
      const p = s.principal;
      const iso = (seconds: number) => (seconds > 0 ? new Date(seconds * 1000).toISOString() : null);
      return {
        operatorId: p.operatorId,
        role: p.role,
        policySetVersion: s.policySetVersion,
        trainingCurrent: p.trainingExpiresAt > s.nowSeconds,
        trainingExpiresAt: iso(p.trainingExpiresAt),
        breakGlassUntil: p.breakGlassUntil > s.nowSeconds ? iso(p.breakGlassUntil) : null,
        mfaAgeSeconds: s.mfaAgeSeconds,
        revealsLastHour: await access.revealsInLastHour(p.tenantId, p.operatorId),
      };
    },
  );

  app.get(
    '/api/v1/assignments',
    secure.session('filtered: all with manageAssignments, otherwise the caller own'),
    async (request) => ({
      assignments: await access.assignments.list(
        await session(request),
        request.query as Record<string, unknown>,
      ),
    }),
  );
  app.post('/api/v1/assignments', secure.cedar('manageAssignments'), async (request, reply) => {
    await access.assignments.assign(await session(request), request.body as never);
    return reply.status(204).send();
  });
  app.delete(
    '/api/v1/assignments/:contactId/:operatorId',
    secure.cedar('manageAssignments'),
    async (request, reply) => {
      await access.assignments.unassign(await session(request), parseInput(assignmentParams, request.params));
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/break-glass',
    secure.session('filtered: all grants with readGrants, otherwise the caller own'),
    async (request) => ({
      grants: await access.breakGlass.list(await session(request)),
    }),
  );
  app.post('/api/v1/break-glass', secure.cedar('breakGlass'), async (request, reply) =>
    reply
      .status(201)
      .send({ grant: await access.breakGlass.request(await session(request), request.body as never) }),
  );
  app.post(
    '/api/v1/break-glass/:id/revoke',
    secure.session('own grant, or readGrants for any grant of the tenant'),
    async (request) => ({
      grant: await access.breakGlass.revoke(await session(request), param(request)),
    }),
  );

  app.get(
    '/api/v1/approvals',
    secure.session('filtered: all with readGrants, otherwise the caller own requests'),
    async (request) => ({
      requests: await access.approvals.list(await session(request), request.query as Record<string, unknown>),
    }),
  );
  app.post(
    '/api/v1/approvals',
    secure.session('the requested action (exportContacts, destroyKey) is enforced per kind'),
    async (request, reply) =>
      reply
        .status(201)
        .send({ request: await access.approvals.request(await session(request), request.body as never) }),
  );
  app.post('/api/v1/approvals/:id/approve', secure.cedar('approve'), async (request) => ({
    request: await access.approvals.approve(await session(request), param(request)),
  }));
  app.post('/api/v1/approvals/:id/reject', secure.cedar('approve'), async (request) => ({
    request: await access.approvals.reject(await session(request), param(request)),
  }));

  app.get(
    '/api/v1/training',
    secure.session('own training record, or manageTraining for another operator'),
    async (request) => {
      const { operatorId } = parseInput(trainingQuery, request.query);
      return { training: await access.training.status(await session(request), operatorId) };
    },
  );
  app.post('/api/v1/training', secure.cedar('manageTraining'), async (request, reply) =>
    reply
      .status(201)
      .send({ record: await access.training.record(await session(request), request.body as never) }),
  );

  app.get('/api/v1/access/policies', secure.cedar('readPolicies'), async (request) =>
    access.policies.list(await session(request)),
  );
  app.post('/api/v1/access/policies', secure.cedar('managePolicies'), async (request, reply) =>
    reply
      .status(201)
      .send({ policy: await access.policies.add(await session(request), request.body as never) }),
  );
  app.post('/api/v1/access/policies/:id/disable', secure.cedar('managePolicies'), async (request) => ({
    policy: await access.policies.disable(await session(request), param(request)),
  }));
}

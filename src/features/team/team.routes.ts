import type { FastifyInstance } from 'fastify';
import { requireActor } from '../../http/actor.ts';
import type { Access } from '../access/access.service.ts';
import type { Team } from './team.service.ts';
import { secure } from '../../http/route-security.ts';

/** `GET /api/v1/operators`: the team as admins manage it (invite, disable, revoke live in `auth`). */
export function teamRoutes(
  app: FastifyInstance,
  deps: { access: Pick<Access, 'session'>; team: Team },
): void {
  app.get('/api/v1/operators', secure.cedar('manageOperators'), async (request) =>
    deps.team.list(await deps.access.session(requireActor(request))),
  );
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ID_PATTERN } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Auth } from './auth.service.ts';
import { requestContext, requireSession } from './authenticate.ts';
import { sendSession } from './auth.routes.ts';
import { secure } from '../../http/route-security.ts';

const idParam = z.object({ id: z.string().regex(ID_PATTERN) }).strict();

/** Self-service for a signed-in operator; credential changes need a fresh second factor. */
export function accountRoutes(app: FastifyInstance, auth: Auth): void {
  const a = auth.account;
  const fresh = (request: Parameters<typeof requireSession>[0]) => {
    const found = requireSession(request);
    auth.stepUp.require(request.actor!);
    return found;
  };

  app.get('/api/v1/auth/sessions', secure.session('the caller own sessions'), (request) => {
    const { session, operator } = requireSession(request);
    return auth.sessions
      .list(operator.tenantId, operator.id)
      .then((all) => all.map((s) => ({ ...s, current: s.id === session.id })));
  });
  app.post(
    '/api/v1/auth/sessions/revoke-others',
    secure.session('the caller own sessions'),
    async (request) => {
      const { session, operator } = requireSession(request);
      return { revoked: await a.revokeOthers(session, operator, requestContext(request)) };
    },
  );
  app.delete(
    '/api/v1/auth/sessions/:id',
    secure.session('the caller own sessions'),
    async (request, reply) => {
      const { operator } = requireSession(request);
      await a.revokeOne(operator, parseInput(idParam, request.params).id, requestContext(request));
      return reply.status(204).send();
    },
  );

  app.post('/api/v1/auth/password', secure.session('the caller own password'), async (request, reply) => {
    const { session, operator } = requireSession(request);
    const next = await a.changePassword(session, operator, request.body, requestContext(request));
    return sendSession(reply, next, operator);
  });

  app.get('/api/v1/auth/passkeys', secure.session('the caller own passkeys'), (request) =>
    auth.factors.listPasskeys(requireSession(request).operator),
  );
  app.post('/api/v1/auth/passkeys/options', secure.session('the caller own passkeys'), (request) => {
    const { session, operator } = fresh(request);
    return a.passkeyOptions(session, operator);
  });
  app.post('/api/v1/auth/passkeys', secure.session('the caller own passkeys'), (request) => {
    const { session, operator } = fresh(request);
    return a.addPasskey(session, operator, request.body, requestContext(request));
  });
  app.patch(
    '/api/v1/auth/passkeys/:id',
    secure.session('the caller own passkeys'),
    async (request, reply) => {
      const { operator } = requireSession(request);
      await a.renamePasskey(operator, parseInput(idParam, request.params).id, request.body);
      return reply.status(204).send();
    },
  );
  app.delete(
    '/api/v1/auth/passkeys/:id',
    secure.session('the caller own passkeys'),
    async (request, reply) => {
      const { operator } = fresh(request);
      await a.removePasskey(operator, parseInput(idParam, request.params).id, requestContext(request));
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/auth/recovery-codes',
    secure.session('the caller own recovery codes'),
    async (request) => {
      const { operator } = fresh(request);
      return { recoveryCodes: await a.regenerateRecoveryCodes(operator, requestContext(request)) };
    },
  );
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { maskEmail } from '../vault/mask.ts';
import type { Auth } from './auth.service.ts';
import { requestContext } from './authenticate.ts';
import { clearCookie, COOKIES, readCookie, setCookie } from './cookies.ts';
import { assertCsrf, csrfToken } from './csrf.ts';
import { PASSWORD_MAX, PASSWORD_MIN } from './password-policy.ts';
import { ENROLL_SECONDS } from './sessions.ts';
import { secure } from '../../http/route-security.ts';

/** The enrollment API behind a one-time link (`/api/v1/auth/enroll/*`). */
export function enrollRoutes(app: FastifyInstance, auth: Auth, publicUrl: string): void {
  const e = auth.enrollment;
  const secret = (request: FastifyRequest) => {
    const value = readCookie(request, COOKIES.enroll);
    if (value) assertCsrf(request, value, publicUrl);
    return value;
  };

  app.post(
    '/api/v1/auth/enroll/start',
    secure.by('signIn', 'the enrollment link token opens an enrollment cookie'),
    async (request, reply) => {
      const { session, operator, tenant, passkeyRequired } = await e.start(request.body);
      setCookie(reply, COOKIES.enroll, session.secret, ENROLL_SECONDS);
      return {
        operator: { id: operator.id, email: maskEmail(operator.email), role: operator.role },
        tenant: { slug: tenant.slug, name: tenant.name },
        passkeyRequired,
        password: { minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX },
        csrfToken: csrfToken(session.secret),
        expiresAt: session.expiresAt,
      };
    },
  );
  app.post(
    '/api/v1/auth/enroll/password',
    secure.by('signIn', 'enrollment cookie of the invited operator'),
    async (request, reply) => {
      await e.setPassword(secret(request), request.body);
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/v1/auth/enroll/totp',
    secure.by('signIn', 'enrollment cookie of the invited operator'),
    (request) => e.beginTotp(secret(request)),
  );
  app.post(
    '/api/v1/auth/enroll/totp/confirm',
    secure.by('signIn', 'enrollment cookie of the invited operator'),
    async (request, reply) => {
      await e.confirmTotp(secret(request), request.body);
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/v1/auth/enroll/webauthn/options',
    secure.by('signIn', 'enrollment cookie of the invited operator'),
    (request) => e.passkeyOptions(secret(request)),
  );
  app.post(
    '/api/v1/auth/enroll/webauthn/verify',
    secure.by('signIn', 'enrollment cookie of the invited operator'),
    (request) => e.addPasskey(secret(request), request.body),
  );
  app.post(
    '/api/v1/auth/enroll/finish',
    secure.by('signIn', 'enrollment cookie of the invited operator'),
    async (request, reply) => {
      const result = await e.finish(secret(request), requestContext(request));
      clearCookie(reply, COOKIES.enroll);
      return result;
    },
  );
}

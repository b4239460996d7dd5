import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Operator } from '../operators/operators.service.ts';
import type { Auth } from './auth.service.ts';
import { requestContext, requireSession } from './authenticate.ts';
import { clearCookie, COOKIES, readCookie, setCookie } from './cookies.ts';
import { assertCsrf, csrfToken } from './csrf.ts';
import type { FactorInput } from './second-factor.ts';
import { PREAUTH_SECONDS, type SessionRecord } from './sessions.ts';
import { secure } from '../../http/route-security.ts';

/** Answers a fresh full session: the cookie (HttpOnly) and, in the body, its CSRF token. */
export function sendSession(reply: FastifyReply, session: SessionRecord, operator: Operator) {
  setCookie(reply, COOKIES.session, session.secret);
  return {
    operator: { id: operator.id, tenantId: operator.tenantId, role: operator.role },
    session: { id: session.id, expiresAt: session.expiresAt, mfaVerifiedAt: session.mfaVerifiedAt },
    csrfToken: csrfToken(session.secret),
  };
}

/** Sign-in, second factors, sign-out, step-up and "who am I" (`/api/v1/auth/*`, `/api/v1/me`). */
export function authRoutes(app: FastifyInstance, auth: Auth, publicUrl: string): void {
  /** The pre-auth cookie of step 2, CSRF-checked like any cookie-authenticated request. */
  const preauthSecret = (request: FastifyRequest) => {
    const secret = readCookie(request, COOKIES.preauth);
    if (secret) assertCsrf(request, secret, publicUrl);
    return secret;
  };

  app.post(
    '/api/v1/auth/login',
    secure.by('signIn', 'password step of sign-in; rate limited and locked out'),
    async (request, reply) => {
      const { preauth, methods } = await auth.login.password(request.body, requestContext(request));
      setCookie(reply, COOKIES.preauth, preauth.secret, PREAUTH_SECONDS);
      return { next: 'mfa', methods, csrfToken: csrfToken(preauth.secret), expiresAt: preauth.expiresAt };
    },
  );

  const finish = async (request: FastifyRequest, reply: FastifyReply, input: FactorInput) => {
    const { session, operator } = await auth.login.secondFactor(
      preauthSecret(request),
      input,
      requestContext(request),
    );
    clearCookie(reply, COOKIES.preauth);
    return sendSession(reply, session, operator);
  };
  app.post(
    '/api/v1/auth/mfa/totp',
    secure.by('signIn', 'second factor against the pre-auth cookie'),
    (request, reply) => finish(request, reply, { method: 'totp', body: request.body }),
  );
  app.post(
    '/api/v1/auth/mfa/recovery',
    secure.by('signIn', 'second factor against the pre-auth cookie'),
    (request, reply) => finish(request, reply, { method: 'recovery', body: request.body }),
  );
  app.post(
    '/api/v1/auth/mfa/webauthn/options',
    secure.by('signIn', 'second factor against the pre-auth cookie'),
    (request) => auth.login.webauthnOptions(preauthSecret(request)),
  );
  app.post(
    '/api/v1/auth/mfa/webauthn/verify',
    secure.by('signIn', 'second factor against the pre-auth cookie'),
    (request, reply) => finish(request, reply, { method: 'webauthn', body: request.body }),
  );

  app.post('/api/v1/auth/logout', secure.session('ends the caller own session'), async (request, reply) => {
    const { session } = requireSession(request);
    await auth.login.logout(session, requestContext(request));
    clearCookie(reply, COOKIES.session);
    return reply.status(204).send();
  });

  app.get('/api/v1/me', secure.session('the caller own operator and session'), (request) => {
    const { session, operator } = requireSession(request);
    return {
      operator: {
        id: operator.id,
        tenantId: operator.tenantId,
        email: operator.email,
        name: operator.name,
        role: operator.role,
        status: operator.status,
      },
      session: {
        id: session.id,
        createdAt: session.createdAt,
        expiresAt: session.expiresAt,
        idleExpiresAt: session.idleExpiresAt,
        mfaVerifiedAt: session.mfaVerifiedAt,
        mfaMethod: session.mfaMethod,
      },
      csrfToken: csrfToken(session.secret),
    };
  });

  const stepUp = async (request: FastifyRequest, reply: FastifyReply, method: 'totp' | 'webauthn') => {
    const { session, operator } = requireSession(request);
    const next = await auth.stepUp.verify(
      session,
      operator,
      { method, body: request.body },
      requestContext(request),
    );
    return sendSession(reply, next, operator);
  };
  app.post(
    '/api/v1/auth/step-up/totp',
    secure.session('re-verifies the caller own second factor'),
    (request, reply) => stepUp(request, reply, 'totp'),
  );
  app.post(
    '/api/v1/auth/step-up/webauthn/options',
    secure.session('re-verifies the caller own second factor'),
    (request) => {
      const { session, operator } = requireSession(request);
      return auth.stepUp.webauthnOptions(session, operator);
    },
  );
  app.post(
    '/api/v1/auth/step-up/webauthn/verify',
    secure.session('re-verifies the caller own second factor'),
    (request, reply) => stepUp(request, reply, 'webauthn'),
  );
}

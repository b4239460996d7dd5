import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SealedError, UnauthenticatedError } from '../../lib/errors.ts';
import type { Operator } from '../operators/operators.service.ts';
import type { RequestContext } from './auth-audit.ts';
import type { Auth } from './auth.service.ts';
import { COOKIES, readCookie } from './cookies.ts';
import { assertCsrf } from './csrf.ts';
import { LockedOutError } from './lockout.ts';
import type { SessionRecord } from './sessions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The session and operator behind `request.actor`, for the auth routes themselves. */
    authSession?: { readonly session: SessionRecord; readonly operator: Operator };
  }
}

/** Client IP and request id for audit entries. */
export function requestContext(request: FastifyRequest): RequestContext {
  return { ip: request.ip, requestId: request.id };
}

/** The caller's session and operator, or 401. */
export function requireSession(request: FastifyRequest): { session: SessionRecord; operator: Operator } {
  if (!request.authSession) throw new UnauthenticatedError();
  return request.authSession;
}

/**
 * Sets `request.actor` from the `__Host-cv_session` cookie on every request, and refuses a
 * cookie-authenticated state-changing request without the session's CSRF token or from another
 * origin. A sealed vault leaves the request unauthenticated rather than failing it.
 */
export function registerAuthenticate(
  app: FastifyInstance,
  auth: Pick<Auth, 'authenticate'>,
  publicUrl: string,
): void {
  app.addHook('onRequest', async (request) => {
    const secret = readCookie(request, COOKIES.session);
    if (!secret) return;
    let found: Awaited<ReturnType<Auth['authenticate']>>;
    try {
      found = await auth.authenticate(secret);
    } catch (error) {
      if (error instanceof SealedError) return;
      throw error;
    }
    if (!found) return;
    assertCsrf(request, found.session.secret, publicUrl);
    request.authSession = found;
    request.actor = {
      type: 'operator',
      tenantId: found.operator.tenantId,
      id: found.operator.id,
      role: found.operator.role,
      sessionId: found.session.id,
      ...(found.session.mfaVerifiedAt ? { mfaVerifiedAt: found.session.mfaVerifiedAt } : {}),
      ip: request.ip,
      requestId: request.id,
    };
  });
  app.addHook('onError', async (_request, reply, error) => {
    if (error instanceof LockedOutError) void reply.header('retry-after', String(error.retryAfterSeconds));
  });
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from '../../lib/errors.ts';

export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The CSRF token of a cookie session: HMAC of its secret, so nothing extra is stored and the token
 * changes whenever the session id does. It travels in the `x-csrf-token` header, which a cross-site
 * form cannot set.
 */
export function csrfToken(sessionSecret: string): string {
  return createHmac('sha256', sessionSecret).update('chatvault-csrf-v1').digest('base64url');
}

export function isStateChanging(request: FastifyRequest): boolean {
  return !SAFE_METHODS.has(request.method);
}

/**
 * Refuses a cookie-authenticated state-changing request unless it carries the session's CSRF token
 * and, when the browser says where it comes from, comes from our own origin.
 */
export function assertCsrf(request: FastifyRequest, sessionSecret: string, publicOrigin: string): void {
  if (!isStateChanging(request)) return;
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== publicOrigin)
    throw new ForbiddenError('Cross-origin request refused');
  if (request.headers['sec-fetch-site'] === 'cross-site')
    throw new ForbiddenError('Cross-site request refused');
  const given = request.headers[CSRF_HEADER];
  const expected = Buffer.from(csrfToken(sessionSecret));
  const actual = Buffer.from(typeof given === 'string' ? given : '');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new ForbiddenError('Missing or wrong CSRF token');
  }
}

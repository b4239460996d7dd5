import type { FastifyReply, FastifyRequest } from 'fastify';

/** `__Host-` cookies: Secure, Path=/, no Domain, so no subdomain or plain-http page can set them. */
export const COOKIES = {
  session: '__Host-cv_session',
  preauth: '__Host-cv_preauth',
  enroll: '__Host-cv_enroll',
} as const;
export type CookieName = (typeof COOKIES)[keyof typeof COOKIES];

/** Reads one cookie from the request without a cookie plugin (only our own names are looked at). */
export function readCookie(request: FastifyRequest, name: CookieName): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Appends a Set-Cookie: HttpOnly, Secure, SameSite=Strict, Path=/ always; `maxAge` 0 deletes it. */
export function setCookie(reply: FastifyReply, name: CookieName, value: string, maxAge?: number): void {
  const attributes = [`${name}=${value}`, 'Path=/', 'Secure', 'HttpOnly', 'SameSite=Strict'];
  if (maxAge !== undefined) attributes.push(`Max-Age=${Math.max(0, Math.floor(maxAge))}`);
  const previous = reply.getHeader('set-cookie');
  const list = Array.isArray(previous) ? previous : previous === undefined ? [] : [String(previous)];
  void reply.header('set-cookie', [...list, attributes.join('; ')]);
}

export function clearCookie(reply: FastifyReply, name: CookieName): void {
  setCookie(reply, name, '', 0);
}

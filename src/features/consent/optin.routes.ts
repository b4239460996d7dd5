import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  ValidationError,
} from '../../lib/errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { parseInput } from '../../lib/validation.ts';
import type { ContactService } from '../contacts/contacts.service.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Tenant, TenantService } from '../tenants/tenants.service.ts';
import { normalizePhone } from '../vault/normalize.ts';
import type { ConsentLedger } from './consent.service.ts';
import { optInCsp, optInDone, optInForm } from './optin-page.ts';
import { secure as declareRoute } from '../../http/route-security.ts';

const COOKIE = 'cv_optin';
const TOKEN_TTL_MS = 60 * 60_000;
/** Submissions per client address per minute: the page creates customers, so it is not a free API. */
const POSTS_PER_MINUTE = 10;
const slugParams = z.object({ slug: z.string().regex(/^[a-z0-9-]{2,40}$/) }).strict();
const form = z
  .object({
    csrf: z.string().min(10).max(200),
    phone: z.string().min(1).max(40),
    agree: z.literal('yes', { errorMap: () => ({ message: 'tick the box to agree' }) }),
  })
  .strict();
const system = { type: 'system' as const, id: 'optin-page' };

function cookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

/**
 * The hosted opt-in page, `GET|POST /optin/:slug`. CSRF: a signed, expiring token in a SameSite=Strict
 * HttpOnly cookie that the form must echo (double submit) plus a same-origin check on Origin. The
 * opt-in is recorded with evidence (the wording shown, when, from where) sealed under the customer key.
 */
export function optInRoutes(
  app: FastifyInstance,
  deps: {
    tenants: Pick<TenantService, 'getBySlug'>;
    contacts: Pick<ContactService, 'findByIdentity' | 'create'>;
    consent: Pick<ConsentLedger, 'settings' | 'importEvents'>;
    keyring: Pick<Keyring, 'indexKey'>;
    publicUrl: string;
    clock: Clock;
  },
): void {
  const secure = deps.publicUrl.startsWith('https:');
  const recent = new Map<string, { n: number; until: number }>();

  function throttle(ip: string): void {
    const now = deps.clock.now().getTime();
    const seen = recent.get(ip);
    if (!seen || seen.until <= now) {
      if (recent.size > 10_000) recent.clear();
      recent.set(ip, { n: 1, until: now + 60_000 });
      return;
    }
    if (++seen.n > POSTS_PER_MINUTE)
      throw new RateLimitedError('Too many submissions; try again in a minute');
  }

  async function sign(tenant: Tenant, nonce: string, at: number): Promise<string> {
    const key = await deps.keyring.indexKey(tenant.id, 'consent', 'optin', 'csrf');
    const mac = createHmac('sha256', key).update(`${tenant.id}|${nonce}|${at}`).digest('base64url');
    return `${nonce}.${at}.${mac}`;
  }

  async function verify(tenant: Tenant, token: string): Promise<boolean> {
    const [nonce, at] = token.split('.');
    if (!nonce || !at || !/^\d{1,15}$/.test(at)) return false;
    if (deps.clock.now().getTime() - Number(at) > TOKEN_TTL_MS) return false;
    const expected = Buffer.from(await sign(tenant, nonce, Number(at)));
    const given = Buffer.from(token);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  async function render(reply: FastifyReply, tenant: Tenant, status: number, error?: string) {
    const nonce = randomBytes(16).toString('base64');
    const csrf = await sign(tenant, randomBytes(16).toString('base64url'), deps.clock.now().getTime());
    const { value } = await deps.consent.settings(tenant.id);
    return reply
      .status(status)
      .header('content-security-policy', optInCsp(nonce))
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header(
        'set-cookie',
        `${COOKIE}=${csrf}; Path=/optin; HttpOnly; SameSite=Strict; Max-Age=3600${secure ? '; Secure' : ''}`,
      )
      .type('text/html; charset=utf-8')
      .send(
        optInForm({
          nonce,
          business: tenant.name,
          purpose: value.optInPurpose,
          csrf,
          ...(error ? { error } : {}),
        }),
      );
  }

  void app.register((scope, _opts, done) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );

    scope.get(
      '/optin/:slug',
      declareRoute.by('public', 'the hosted opt-in page of a tenant; no personal data'),
      async (request, reply) => {
        const { slug } = parseInput(slugParams, request.params);
        return render(reply, await deps.tenants.getBySlug(slug), 200);
      },
    );

    scope.post(
      '/optin/:slug',
      declareRoute.by('public', 'a customer opts in: throttled, same-origin, page nonce cookie'),
      async (request, reply) => {
        const { slug } = parseInput(slugParams, request.params);
        const tenant = await deps.tenants.getBySlug(slug);
        throttle(request.ip);
        const origin = request.headers.origin;
        if (origin !== undefined && origin !== deps.publicUrl && origin !== `http://${request.headers.host}`)
          throw new ForbiddenError('Cross-site form submissions are refused');
        const cookie = cookieOf(request);
        const body = request.body as Record<string, unknown> | undefined;
        if (
          !cookie ||
          typeof body?.csrf !== 'string' ||
          body.csrf !== cookie ||
          !(await verify(tenant, cookie))
        )
          throw new ForbiddenError(
            'The form expired or did not come from this page; reload it and try again',
          );
        let input: z.infer<typeof form>;
        let phone: string;
        try {
          input = parseInput(form, body);
          phone = normalizePhone(input.phone);
        } catch (error) {
          if (error instanceof ValidationError)
            return render(reply, tenant, 400, 'Please enter a full international number and tick the box.');
          throw error;
        }
        const { value } = await deps.consent.settings(tenant.id);
        const waId = phone.slice(1);
        const ctx = { actor: system, reason: 'opt-in page: matching the number to a customer' };
        let contact = await deps.contacts.findByIdentity(tenant, { waId }, ctx);
        if (!contact) {
          try {
            contact = await deps.contacts.create(tenant, { waId, phone }, system);
          } catch (error) {
            if (!(error instanceof ConflictError)) throw error;
            contact = await deps.contacts.findByIdentity(tenant, { waId }, ctx);
          }
        }
        if (!contact) throw new NotFoundError('Contact');
        await deps.consent.importEvents(
          tenant.id,
          [
            {
              contactId: contact.id,
              purpose: 'marketing',
              event: 'opt_in',
              at: deps.clock.now(),
              evidence: {
                method: 'hosted opt-in page',
                text: `Yes, I want to receive ${value.optInPurpose} from ${tenant.name} on WhatsApp.`,
                ip: request.ip,
                userAgent: String(request.headers['user-agent'] ?? '').slice(0, 300),
              },
            },
          ],
          system,
          'web_form',
        );
        const nonce = randomBytes(16).toString('base64');
        return reply
          .status(200)
          .header('content-security-policy', optInCsp(nonce))
          .header('cache-control', 'no-store')
          .header('set-cookie', `${COOKIE}=; Path=/optin; HttpOnly; SameSite=Strict; Max-Age=0`)
          .type('text/html; charset=utf-8')
          .send(optInDone(nonce, tenant.name));
      },
    );
    done();
  });
}

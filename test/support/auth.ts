import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Clock } from '../../src/lib/clock.ts';
import { seedFromBase32, totpCode } from '../../src/features/auth/totp.ts';
import type { OperatorRole } from '../../src/features/operators/operators.table.ts';
import type { Tenant } from '../../src/features/tenants/tenants.service.ts';
import type { Runtime } from '../../src/runtime.ts';

/** A clock the test moves by hand (TOTP steps, backoff waits, session timeouts). */
export function manualClock(start = Date.parse('2031-03-04T10:00:00.000Z')) {
  let now = start;
  const clock: Clock & { advance(seconds: number): void } = {
    now: () => new Date(now),
    advance(seconds: number) {
      now += seconds * 1000;
    },
  };
  return clock;
}

/**
 * A cookie-keeping client over `app.inject`: it stores the `__Host-` cookies the server sets and
 * sends the CSRF token it was last given, like the console would.
 */
/** Real time plus an offset the test moves forward (a stale second factor without waiting 5 minutes). */
export function offsetClock() {
  let offset = 0;
  const clock: Clock & { advance(seconds: number): void } = {
    now: () => new Date(Date.now() + offset),
    advance(seconds: number) {
      offset += seconds * 1000;
    },
  };
  return clock;
}

export class Client {
  readonly cookies = new Map<string, string>();
  csrf: string | undefined;

  constructor(
    readonly app: FastifyInstance,
    readonly ip = '127.0.0.1',
  ) {}

  async request(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    options: { csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (this.csrf && options.csrf !== false) headers['x-csrf-token'] = this.csrf;
    const res = await this.app.inject({
      method,
      url,
      remoteAddress: this.ip,
      headers,
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
    for (const cookie of [res.headers['set-cookie'] ?? []].flat()) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /Max-Age=0/.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const json = String(res.headers['content-type'] ?? '').includes('json')
      ? res.json<{ csrfToken?: string }>()
      : {};
    if (typeof json.csrfToken === 'string') this.csrf = json.csrfToken;
    return res;
  }

  post(url: string, body?: unknown, options?: { csrf?: boolean; headers?: Record<string, string> }) {
    return this.request('POST', url, body, options);
  }

  get(url: string) {
    return this.request('GET', url);
  }
}

/** Creates a pending operator the way an admin would and returns its enrollment token. */
export async function invite(runtime: Runtime, tenant: Tenant, email: string, role: OperatorRole) {
  const { operator, link } = await runtime.auth.enrollment.createOperator(
    tenant,
    { email, role },
    { type: 'cli', id: 'test' },
    {},
  );
  return { operator, token: new URL(link.url).hash.replace('#token=', ''), url: link.url };
}

export interface Enrolled {
  readonly seed: Buffer;
  readonly base32: string;
  readonly recoveryCodes: string[];
}

/** Runs the whole TOTP enrollment over HTTP as the person would, and moves past the used step. */
export async function enrollWithTotp(
  app: FastifyInstance,
  clock: ReturnType<typeof manualClock>,
  token: string,
  password: string,
): Promise<Enrolled> {
  const c = new Client(app);
  expectStatus(await c.post('/api/v1/auth/enroll/start', { token }), 200);
  expectStatus(await c.post('/api/v1/auth/enroll/password', { password }), 204);
  const totp = await c.post('/api/v1/auth/enroll/totp', {});
  expectStatus(totp, 200);
  const { secret } = totp.json<{ secret: string; uri: string }>();
  const seed = seedFromBase32(secret);
  expectStatus(await c.post('/api/v1/auth/enroll/totp/confirm', { code: totpCode(seed, clock.now()) }), 204);
  const done = await c.post('/api/v1/auth/enroll/finish', {});
  expectStatus(done, 200);
  clock.advance(30);
  return { seed, base32: secret, recoveryCodes: done.json<{ recoveryCodes: string[] }>().recoveryCodes };
}

/** Password then TOTP; returns the signed-in client. */
export async function signIn(
  app: FastifyInstance,
  clock: ReturnType<typeof manualClock>,
  who: { tenant: string; email: string; password: string; seed: Buffer },
  ip = '127.0.0.1',
): Promise<Client> {
  const c = new Client(app, ip);
  expectStatus(
    await c.post('/api/v1/auth/login', { tenant: who.tenant, email: who.email, password: who.password }),
    200,
  );
  expectStatus(await c.post('/api/v1/auth/mfa/totp', { code: totpCode(who.seed, clock.now()) }), 200);
  clock.advance(30);
  return c;
}

export function expectStatus(res: LightMyRequestResponse, status: number): void {
  if (res.statusCode !== status)
    throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body.slice(0, 300)}`);
}

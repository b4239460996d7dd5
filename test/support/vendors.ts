import type { FastifyInstance } from 'fastify';
import { asStaff, type AccessFixture, type TestStaff } from './access.ts';

const DAY = 86_400_000;

/** A vendor-register entry, in compliance, with a signed agreement; override what a test needs. */
export function vendorBody(clockNow: Date, overrides: Record<string, unknown> = {}) {
  const at = (days: number) => new Date(clockNow.getTime() + days * DAY).toISOString();
  return {
    name: 'Acme CRM',
    purpose: 'Customer relationship management for the sales team',
    riskTier: 'high',
    dataCategories: ['name'],
    region: 'EU (Frankfurt)',
    transferMechanism: 'SCCs + TIA',
    dpaSignedAt: at(-30),
    dpaExpiresAt: at(700),
    certifications: [{ kind: 'soc2_type2', expiresAt: at(200) }],
    subProcessors: ['AWS eu-central-1'],
    breachNoticeHours: 48,
    lastReviewAt: at(-30),
    nextReviewAt: at(300),
    openFindings: 0,
    owner: 'Head of Sales',
    ...overrides,
  };
}

/** Registers a vendor as `admin`; returns its id. */
export async function registerVendor(
  f: AccessFixture,
  admin: TestStaff,
  overrides: Record<string, unknown> = {},
) {
  const res = await asStaff(f.app, admin).post('/api/v1/vendors', vendorBody(f.clock.now(), overrides));
  if (res.statusCode !== 201) throw new Error(`vendor registration failed: ${res.statusCode} ${res.body}`);
  return res.json<{ vendor: { id: string } }>().vendor.id;
}

/** Issues a key as `admin` (fresh second factor); returns its id and the token shown once. */
export async function issueKey(
  f: AccessFixture,
  admin: TestStaff,
  vendorId: string,
  body: Record<string, unknown> = {},
) {
  const res = await asStaff(f.app, admin).post(`/api/v1/vendors/${vendorId}/keys`, {
    label: 'sync',
    scopes: { contacts: 'read' },
    expiresInDays: 90,
    ...body,
  });
  if (res.statusCode !== 201) throw new Error(`key creation failed: ${res.statusCode} ${res.body}`);
  const json = res.json<{ key: { id: string }; token: string }>();
  return { id: json.key.id, token: json.token };
}

/** `app.inject` as a vendor: a bearer token and a client address. */
export function asVendor(app: FastifyInstance, token: string, ip = '127.0.0.1') {
  const headers = { authorization: `Bearer ${token}` };
  return {
    get: (url: string) => app.inject({ method: 'GET', url, headers, remoteAddress: ip }),
    post: (url: string, payload: unknown = {}) =>
      app.inject({ method: 'POST', url, headers, payload: payload as object, remoteAddress: ip }),
    inject: (method: string, url: string, payload?: unknown) =>
      app.inject({
        method: method as 'GET',
        url,
        headers,
        remoteAddress: ip,
        ...(payload !== undefined ? { payload: payload as object } : {}),
      }),
  };
}

/** Every route of the app as `{ method, url }`, read from Fastify's own route table (`printRoutes`). */
export function routeTable(app: FastifyInstance): { method: string; url: string }[] {
  const stack: string[] = [];
  const out: { method: string; url: string }[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^(.*?)(?:├── |└── )(\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const url = (depth > 0 ? stack[depth - 1]! : '') + m[2]!;
    stack[depth] = url;
    stack.length = depth + 1;
    for (const method of (m[3] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean))
      if (method !== 'HEAD') out.push({ method, url });
  }
  return out;
}

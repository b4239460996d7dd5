import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { fakeCustomers } from '../../src/features/demo/fake-customers.ts';
import type { Tenant } from '../../src/features/tenants/tenants.service.ts';
import { asStaff, type AccessFixture, type TestStaff } from './access.ts';
import { testOperator } from './actors.ts';
import { vendorBody } from './vendors.ts';
import { openApiDocument } from '../../src/http/openapi.ts';
import type { ActionId } from '../../src/features/access/cedar-schema.ts';
import type { OperatorRole } from '../../src/features/operators/operators.table.ts';
import { newId } from '../../src/lib/ids.ts';
import { campaignDb } from '../../src/features/campaigns/campaigns.table.ts';
import { detectionDb } from '../../src/features/detection/detection.table.ts';

export const REASON = 'security sweep: checking the route table';

/** Valid bodies and queries for routes that check them before the record: so the record check is reached. */
const SAMPLE_BODIES: Record<string, object> = {
  'POST /api/v1/contacts/:id/reveal': { field: 'phone', reason: REASON },
  'PUT /api/v1/contacts/:id/tags': { tags: ['sweep'] },
  'POST /api/v1/conversations/:id/collect-links': { template: 'invoice' },
  'POST /api/v1/conversations/:id/messages/:messageId/restricted': { reason: REASON },
  'POST /api/v1/incidents/:id/notes': { note: 'sweep note' },
  'POST /api/v1/incidents/:id/state': { state: 'triaged' },
  'POST /api/v1/incidents/:id/playbooks': { playbook: 'rotate_keys' },
  'POST /api/v1/channels/:channelId/two-step-pin': { pin: '482913' },
  'PATCH /api/v1/vendors/:id': { owner: 'Head of Sales' },
  'POST /api/v1/vendors/:id/keys': { label: 'sync', scopes: { contacts: 'read' }, expiresInDays: 30 },
  'POST /api/v1/break-glass': { reason: REASON, minutes: 10 },
  'PUT /api/v1/contacts/:id/legal-hold': { reason: REASON },
  'POST /api/v1/vendors/:id/suspend': { reason: REASON },
  'POST /api/v1/vendors/:id/reactivate': { reason: REASON },
  'POST /api/v1/dsr/requests/:id/execute': { reason: REASON },
  'POST /api/v1/incidents/:id/review': {
    cause: 'sweep cause',
    impact: 'sweep impact',
    whatWorked: 'sweep',
    actions: [],
  },
};
const SAMPLE_QUERIES: Record<string, string> = {
  'GET /api/v1/vendors/:id/report': '?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z',
};

/** A request body (JSON text) for a route: its sample, else `fallback` in every field it may take. */
export function sampleBody(method: string, url: string, fallback: string): string | undefined {
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return undefined;
  const sample = SAMPLE_BODIES[`${method} ${url}`];
  return JSON.stringify(sample ?? Object.fromEntries(bodyFields(method, url).map((k) => [k, fallback])));
}

/** The query a route needs to reach its record check, if any. */
export const sampleQuery = (method: string, url: string) => SAMPLE_QUERIES[`${method} ${url}`] ?? '';

/** Strings every field, query and path parameter is filled with. */
export const INJECTIONS = [
  "' OR 1=1 --",
  '../../etc/passwd',
  '%0d%0aSet-Cookie: x=1',
  '\r\nSet-Cookie: x=1',
  'constructor.prototype',
  '__proto__',
] as const;

/** A body whose own keys try to pollute `Object.prototype` when merged naively. */
export const POLLUTING_JSON =
  '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"name":"x","reason":"a reason long enough"}';

/** Field names tried on every body, beyond those the OpenAPI document names for the route. */
const GENERIC_FIELDS = ['name', 'reason', 'text', 'email', 'query', 'note', 'title', 'label', 'contactId'];

interface OpenApiOperation {
  requestBody?: { description?: string; content?: Record<string, { schema?: { properties?: object } }> };
  parameters?: Array<{ name?: string; in?: string }>;
}

function operation(method: string, url: string): OpenApiOperation | undefined {
  const openApiPath = url.replace(/:([A-Za-z]+)/g, '{$1}');
  const paths = openApiDocument.paths as unknown as Record<string, Record<string, OpenApiOperation>>;
  return paths[openApiPath]?.[method.toLowerCase()];
}

/** The body fields of a route: its OpenAPI schema or the `{ a, b? }` description, plus generic names. */
export function bodyFields(method: string, url: string): string[] {
  const body = operation(method, url)?.requestBody;
  const named = new Set<string>(GENERIC_FIELDS);
  for (const media of Object.values(body?.content ?? {}))
    for (const key of Object.keys(media.schema?.properties ?? {})) named.add(key);
  const described = /\{([^}]*)\}/.exec(body?.description ?? '');
  for (const part of described?.[1]?.split(',') ?? []) {
    const key = /^\s*([A-Za-z][A-Za-z0-9]*)\??/.exec(part)?.[1];
    if (key) named.add(key);
  }
  return [...named];
}

/** The query parameter names the OpenAPI document gives for a route, plus generic ones. */
export function queryNames(method: string, url: string): string[] {
  const named = new Set(['q', 'limit', 'cursor', 'format', 'conversation']);
  for (const p of operation(method, url)?.parameters ?? []) if (p.in === 'query' && p.name) named.add(p.name);
  return [...named];
}

export const pathParams = (url: string) => [...url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);

/** Fills `:params` (and a trailing `*`) with values from `value(name)`, URL-encoded. */
export function fillPath(url: string, value: (name: string) => string): string {
  return url
    .replace(/:([A-Za-z]+)/g, (_m, name: string) => encodeURIComponent(value(name)))
    .replace(/\*$/, encodeURIComponent(value('*')));
}

/** What the default policies grant each role that the sweep may pick as a "wrong role". */
const GRANTS: ReadonlyArray<[OperatorRole, ReadonlySet<ActionId>]> = [
  [
    'auditor',
    new Set<ActionId>([
      'readAudit',
      'verifyAudit',
      'exportAudit',
      'readIncidents',
      'readSegments',
      'readPolicies',
      'readDataRequests',
    ]),
  ],
  [
    'agent',
    new Set<ActionId>([
      'listContacts',
      'readMasked',
      'readClear',
      'revealField',
      'updateContact',
      'readMessages',
      'sendMessage',
    ]),
  ],
  [
    'marketer',
    new Set<ActionId>(['listContacts', 'readMasked', 'readSegments', 'manageCampaigns', 'manageConsent']),
  ],
];

/** A role the default policies grant none of `actions` (a "wrong role" for the route). */
export function wrongRoleFor(actions: readonly ActionId[]): OperatorRole {
  const found = GRANTS.find(([, granted]) => actions.every((a) => !granted.has(a)));
  if (!found) throw new Error(`no role lacks all of ${actions.join(', ')}`);
  return found[0];
}

/** Non-id path parameters get a value their route accepts; ids come from the tenant's seeded records. */
const FIXED_PARAMS: Record<string, string> = {
  purpose: 'index',
  command: 'pause',
  file: 'missing.js',
  token: 'a'.repeat(43),
  slug: 'globex',
  '*': 'inbox',
};

/** Picks the seeded id (or a fresh well-formed one) for a path parameter of a route. */
export function idFor(ids: Record<string, string>, url: string, name: string): string {
  if (FIXED_PARAMS[name]) return FIXED_PARAMS[name];
  const byName: Record<string, string> = {
    contactId: 'contact',
    operatorId: 'operator',
    channelId: 'channel',
    jobId: 'job',
    messageId: 'message',
    mediaId: 'media',
  };
  const segment = /\/api\/v1\/([a-z-]+)(?:\/([a-z-]+))?/.exec(url);
  const byPath: Record<string, string> = {
    contacts: 'contact',
    conversations: 'conversation',
    operators: 'operator',
    vendors: 'vendor',
    'api-keys': 'apiKey',
    'vendor-webhooks': 'webhook',
    incidents: 'incident',
    alerts: 'alert',
    approvals: 'approval',
    'break-glass': 'grant',
    campaigns: 'campaign',
    'dsr/requests': 'dsr',
    'access/policies': 'policy',
    'auth/sessions': 'session',
    'auth/passkeys': 'passkey',
  };
  const kind =
    byName[name] ??
    byPath[`${segment?.[1]}/${segment?.[2]}`] ??
    byPath[segment?.[1] ?? ''] ??
    (url.startsWith('/webhooks/') ? 'channel' : 'other');
  const prefixes: Record<string, string> = { channel: 'ch', media: 'md', job: 'kj' };
  return ids[kind] ?? newId(prefixes[kind] ?? 'zz');
}

/**
 * A 400 that names no path parameter: the body or query (which the sweep cannot make valid for every
 * route) was refused before the record was looked up, which reveals nothing about the record.
 */
export function bodyOrQueryRefusal(res: { statusCode: number; body: string }, url: string): boolean {
  if (res.statusCode !== 400) return false;
  const message = (JSON.parse(res.body) as { error?: { message?: string } }).error?.message ?? '';
  return !pathParams(url).some((p) => message.startsWith(`${p}:`));
}

/** Every route as Fastify itself lists it (`printRoutes`), to cross-check the declaration table. */
export function fastifyRoutes(app: FastifyInstance): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^(.*?)(?:├── |└── )(\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const url = (depth > 0 ? stack[depth - 1]! : '') + m[2]!;
    stack[depth] = url;
    stack.length = depth + 1;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()))
      if (method && method !== 'HEAD') out.push(`${method} ${url}`);
  }
  return out.sort();
}

/** One of each record a route can name, in `tenant`, created as `owner` over HTTP where possible. */
export async function seedTenant(
  f: AccessFixture,
  tenant: Tenant,
  owner: TestStaff,
  n: number,
): Promise<Record<string, string>> {
  const rt = f.t.runtime;
  const as = asStaff(f.app, owner);
  const created = async (res: Promise<LightMyRequestResponse>, pick: (json: never) => string) => {
    const r = await res;
    assert.ok(r.statusCode < 300, `seeding failed: ${r.statusCode} ${r.body.slice(0, 200)}`);
    return pick(r.json<never>());
  };
  const [contact] = await rt.contacts.createMany(tenant, fakeCustomers(1, 40 + n), testOperator);
  const channel = await rt.channels.add(tenant, {
    appSecret: `sweep-app-secret-${n}-0123456789`,
    verifyToken: `sweep-verify-${n}`,
    accessToken: `sweep-access-token-${n}-0123456789`,
    phoneNumberId: `10654035224292${n}`,
    wabaId: `10229012934039${n}`,
  });
  const conversation = newId('cv');
  await rt.database.db
    .insertInto('conversations')
    .values({
      id: conversation,
      tenant_id: tenant.id,
      contact_id: contact!.id,
      channel_id: channel.id,
      last_inbound_at: rt.clock.now().toISOString(),
      window_expires_at: null,
      unread: 0,
      updated_at: rt.clock.now().toISOString(),
    })
    .execute();
  const vendor = await created(
    as.post('/api/v1/vendors', vendorBody(f.clock.now())),
    (j: { vendor: { id: string } }) => j.vendor.id,
  );
  const issued = await created(
    as.post(`/api/v1/vendors/${vendor}/keys`, {
      label: 'sync',
      scopes: { contacts: 'write', messages: 'read' },
      ratePerMinute: 100_000,
      expiresInDays: 90,
    }),
    (j: { key: { id: string }; token: string }) => `${j.key.id} ${j.token}`,
  );
  const [apiKey, apiKeyToken] = issued.split(' ') as [string, string];
  const incident = await created(
    as.post('/api/v1/incidents', { title: 'Lost laptop' }),
    (j: { incident?: { id: string }; id?: string }) => j.incident?.id ?? j.id ?? '',
  );
  const dsr = await created(
    as.post('/api/v1/dsr/requests', { contactId: contact!.id, type: 'access', reason: REASON }),
    (j: { request?: { id: string }; id?: string }) => j.request?.id ?? j.id ?? '',
  );
  const approval = await created(
    as.post('/api/v1/approvals', { kind: 'key_destroy', payloadRef: 'data:1', reason: REASON }),
    (j: { request: { id: string } }) => j.request.id,
  );
  const grant = await created(
    as.post('/api/v1/break-glass', { reason: REASON, minutes: 10 }),
    (j: { grant: { id: string } }) => j.grant.id,
  );
  const policy = await created(
    as.post('/api/v1/access/policies', {
      description: 'auditors read policies (already granted)',
      text: 'permit (principal in Role::"auditor", action == Action::"readPolicies", resource);',
    }),
    (j: { policy: { id: string } }) => j.policy.id,
  );
  const job = await created(
    as.post(`/api/v1/keys/contacts/${contact!.id}/rotate`, {}),
    (j: { jobId: string }) => j.jobId,
  );
  const rows = await insertRecords(f, tenant.id, channel.id, vendor, apiKey, owner.id);
  return {
    ...rows,
    policy,
    job,
    apiKeyToken,
    contact: contact!.id,
    operator: owner.id,
    channel: channel.id,
    conversation,
    vendor,
    apiKey,
    incident,
    dsr,
    approval,
    grant,
  };
}

/** Records no HTTP route creates cheaply (a campaign, an alert, a vendor webhook), written directly. */
async function insertRecords(
  f: AccessFixture,
  tenantId: string,
  channelId: string,
  vendorId: string,
  keyId: string,
  ownerId: string,
): Promise<{ campaign: string; alert: string; webhook: string }> {
  const db = f.t.runtime.database.db;
  const at = f.clock.now().toISOString();
  const ids = { campaign: newId('cp'), alert: newId('al'), webhook: newId('wh') };
  await campaignDb(db)
    .insertInto('campaigns')
    .values({
      id: ids.campaign,
      tenant_id: tenantId,
      channel_id: channelId,
      name: 'Sweep',
      template_name: 'sweep',
      template_language: 'en',
      parameters: '[]',
      segment: '{}',
      status: 'draft',
      scheduled_at: null,
      quiet_start: null,
      quiet_end: null,
      daily_cap: null,
      rate_per_s: 1,
      quality_stop_after: 1,
      stop_reason: null,
      created_by: ownerId,
      created_at: at,
      updated_at: at,
    })
    .execute();
  await detectionDb(db)
    .insertInto('detection_alerts')
    .values({
      id: ids.alert,
      tenant_id: tenantId,
      dedup_key: ids.alert,
      rule: 'sweep',
      severity: 'low',
      actor_type: null,
      actor_id: null,
      summary: 'sweep',
      detail: '{}',
      first_seq: null,
      last_seq: null,
      event_at: at,
      created_at: at,
      status: 'open',
      incident_id: null,
      email_status: 'skipped',
      webhook_status: 'skipped',
      attempts: 0,
      next_attempt_at: null,
    })
    .execute();
  await db
    .insertInto('vendor_webhooks')
    .values({
      id: ids.webhook,
      tenant_id: tenantId,
      vendor_id: vendorId,
      key_id: keyId,
      url: 'https://hooks.example.com/sweep',
      events: '["message.received"]',
      secret_ct: Buffer.alloc(48),
      created_by: ownerId,
      created_at: at,
      disabled_at: null,
    })
    .execute();
  return ids;
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type LightMyRequestResponse } from 'fastify';
import type { OperatorRole } from '../src/features/operators/operators.table.ts';
import {
  declarationProblem,
  declaredRoutes,
  installRouteSecurity,
  secure,
  type DeclaredRoute,
} from '../src/http/route-security.ts';
import {
  createStaff,
  installTestActors,
  startAccessFixture,
  type AccessFixture,
  type TestStaff,
} from './support/access.ts';
import { enrollWithTotp, expectStatus, invite, signIn, type manualClock } from './support/auth.ts';
import {
  INJECTIONS,
  POLLUTING_JSON,
  REASON,
  bodyFields,
  bodyOrQueryRefusal,
  fastifyRoutes,
  fillPath,
  idFor,
  pathParams,
  queryNames,
  sampleBody,
  sampleQuery,
  seedTenant,
  wrongRoleFor,
} from './support/security-sweep.ts';
import { seedPrivateRecords, snapshotRecords } from './support/security-sweep-records.ts';
import { databaseTargets } from './support/targets.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const PASSWORD = 'quiet-meadow-lantern-47';
/** Server-sent event streams stay open for an authorised caller: only their refusals are swept. */
const STREAMS = new Set(['GET /api/v1/events', 'GET /api/v1/alerts/stream']);
/** End the signed-in session the own-account sweep runs in. */
const ENDS_SESSION = new Set(['POST /api/v1/auth/logout']);
/** Would seal the vault for the rest of the sweep when authorised. */
const SEALS = new Set(['POST /api/v1/sys/seal']);
/** Actions only marketers hold by default: another tenant's ids are tried as a marketer for them. */
const MARKETING = new Set<string>(['manageCampaigns', 'readSegments', 'manageConsent']);
/** Bodies no route accepts: an unknown field only, a wrong type, and fields of the wrong kind. */
const INVALID_BODIES = ['{"sweepUnknownField":1}', '[]', '{"reason":7,"name":[],"role":{}}'];
const hasBody = (method: string) => method === 'POST' || method === 'PUT' || method === 'PATCH';
const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

for (const target of databaseTargets()) {
  describe(`security sweep over every route (${target.name})`, () => {
    let f: AccessFixture;
    let routes: DeclaredRoute[];
    let globexOwner: TestStaff;
    let marketer: TestStaff;
    const wrong = {} as Record<OperatorRole, TestStaff>;
    let own: Record<string, string>;
    let foreign: Record<string, string>;
    const failures: string[] = [];

    async function send(
      who: TestStaff | null,
      method: string,
      url: string,
      payload?: string,
      headers: Record<string, string> = {},
    ): Promise<LightMyRequestResponse> {
      return f.app.inject({
        method: method as Method,
        url,
        headers: {
          ...(who ? { 'x-test-operator': who.id } : {}),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(payload === undefined ? {} : { payload }),
      });
    }
    const expectIn = (res: LightMyRequestResponse, allowed: number[], what: string) => {
      if (!allowed.includes(res.statusCode))
        failures.push(`${what}: got ${res.statusCode} (want ${allowed.join('/')}) ${res.body.slice(0, 160)}`);
    };
    /** No 5xx, no injected header, no polluted prototype. */
    const check = (res: LightMyRequestResponse, what: string) => {
      if (res.statusCode >= 500) failures.push(`${what}: got ${res.statusCode} ${res.body.slice(0, 160)}`);
      const cookies = [res.headers['set-cookie'] ?? []].flat().join('\n');
      if (/(^|[\s;])x=1/.test(cookies) || 'x' in res.headers) failures.push(`${what}: header injected`);
      if (({} as Record<string, unknown>).polluted !== undefined)
        failures.push(`${what}: prototype polluted`);
    };
    const report = (label: string) => {
      const found = failures.splice(0);
      assert.deepEqual(found, [], `${label}:\n${found.join('\n')}`);
    };

    before(async () => {
      f = await startAccessFixture(target);
      for (const role of ['agent', 'auditor'] as const) wrong[role] = await f.hire(role);
      marketer = await f.hire('marketer');
      const globex = await f.t.runtime.tenants.create({ slug: 'globex', name: 'Globex' });
      globexOwner = await createStaff(f.t.runtime, globex, 'owner');
      installTestActors(f.app, f.clock, new Map([[globexOwner.id, globexOwner]]));
      await f.app.ready();
      routes = declaredRoutes(f.app).filter((r) => r.method !== 'HEAD');
      own = await seedTenant(f, f.acme, f.owner, 1);
      foreign = await seedTenant(f, globex, globexOwner, 2);
    });
    after(() => f.close());

    test('every route declares its authentication and authorisation, and the table is complete', () => {
      assert.ok(routes.length > 100, `only ${routes.length} routes collected`);
      for (const r of declaredRoutes(f.app)) assert.equal(declarationProblem(r.security), undefined, key(r));
      assert.deepEqual(routes.map(key).sort(), fastifyRoutes(f.app));
    });

    test('the onRoute hook refuses a route registered without a declaration', () => {
      const app = Fastify();
      installRouteSecurity(app);
      assert.throws(
        () => app.get('/undeclared', () => 'x'),
        /GET \/undeclared: no config.security declaration/,
      );
      assert.throws(
        () => app.post('/half', { config: { security: { auth: 'session' } } }, () => 'x'),
        /exactly one of action or reason/,
      );
      app.get('/declared', secure.cedar('readAudit'), () => 'x');
      assert.deepEqual(declaredRoutes(app).map(key), ['GET /declared', 'HEAD /declared']);
      return app.close();
    });

    test('an undeclared or ill-declared route is refused when it is registered', () => {
      assert.match(declarationProblem(undefined)!, /no config.security/);
      assert.match(declarationProblem({ auth: 'session' })!, /exactly one/);
      assert.match(declarationProblem({ auth: 'apiKey', action: 'readAudit' })!, /session auth/);
      assert.match(declarationProblem({ auth: 'session', action: 'readEverything' })!, /unknown Cedar/);
      assert.match(declarationProblem({ auth: 'session', roles: ['admin'] })!, /role gates are not allowed/);
      assert.match(
        declarationProblem({ auth: 'session', reason: 'own account only', orActions: ['readAudit'] })!,
        /exactly one|orActions/,
      );
      assert.match(
        declarationProblem({ auth: 'session', action: 'readAudit', orActions: ['x'] })!,
        /orActions/,
      );
      assert.match(declarationProblem({ auth: 'cookie', reason: 'long enough reason' })!, /unknown auth/);
    });

    test('without a session (or with an unknown one) every route refuses or shows only its public face', async () => {
      for (const r of routes) {
        const url = fillPath(r.url, (name) => idFor(own, r.url, name));
        const body = hasBody(r.method) ? '{}' : undefined;
        const res = await send(null, r.method, url, body);
        const what = `${key(r)} [${r.security.auth}] anonymous`;
        if (r.security.auth === 'session') {
          expectIn(res, [401], what);
          const stale = await send(null, r.method, url, body, {
            cookie: '__Host-cv_session=expired-or-unknown',
          });
          expectIn(stale, [401], `${what} unknown session`);
        } else if (r.security.auth === 'public' || r.security.auth === 'metricsToken') {
          if (res.statusCode >= 500) failures.push(`${what}: got ${res.statusCode}`);
        } else if (res.statusCode < 400 || res.statusCode >= 500) {
          failures.push(`${what}: got ${res.statusCode}, want a 4xx refusal`);
        }
      }
      report('unauthenticated requests');
    });

    test('an operator whose role the route does not admit gets 403 or 404, also with an invalid body', async () => {
      let checked = 0;
      let invalid = 0;
      for (const r of routes) {
        const { action, orActions } = r.security;
        if (!action) continue;
        const role: OperatorRole = wrongRoleFor([action, ...(orActions ?? [])]);
        const url = fillPath(r.url, (name) => idFor(own, r.url, name)) + sampleQuery(r.method, r.url);
        const res = await send(wrong[role], r.method, url, sampleBody(r.method, r.url, 'x'));
        expectIn(res, [403, 404], `${key(r)} as ${role}`);
        checked += 1;
        if (!hasBody(r.method)) continue;
        // Authorisation comes before validation: a body no route accepts still answers 403/404, never 400.
        for (const body of INVALID_BODIES) {
          const refused = await send(wrong[role], r.method, url, body);
          expectIn(refused, [403, 404], `${key(r)} as ${role} with invalid body ${body}`);
        }
        invalid += 1;
      }
      assert.ok(invalid > 40, `only ${invalid} routes with a body have a role check`);
      assert.ok(checked > 80, `only ${checked} routes have a role check`);
      report('wrong-role requests');
    });

    test("another tenant's ids in the path answer 404", async () => {
      let checked = 0;
      for (const r of routes) {
        if (r.security.auth !== 'session' || STREAMS.has(key(r)) || SEALS.has(key(r))) continue;
        const ids = pathParams(r.url).filter((p) => !['purpose', 'command'].includes(p));
        if (ids.length === 0) continue;
        const url = fillPath(r.url, (name) => idFor(foreign, r.url, name)) + sampleQuery(r.method, r.url);
        const who = MARKETING.has(r.security.action ?? 'readAudit') ? marketer : f.owner;
        const res = await send(who, r.method, url, sampleBody(r.method, r.url, REASON));
        if (bodyOrQueryRefusal(res, r.url)) continue;
        // Account routes need a real session record, which test actors do not carry.
        const allowed = r.url.startsWith('/api/v1/auth/') ? [401, 404] : [404];
        expectIn(res, allowed, `${key(r)} with another tenant's ids`);
        checked += 1;
      }
      assert.ok(checked > 40, `only ${checked} routes take ids`);
      report('cross-tenant requests');
    });

    test('malformed and oversized bodies are refused with a 4xx', async () => {
      for (const r of routes) {
        if (!hasBody(r.method) || SEALS.has(key(r))) continue;
        const url = fillPath(r.url, (name) => idFor(own, r.url, name));
        const malformed = await send(f.owner, r.method, url, '{"name": "x",');
        if (malformed.statusCode < 400 || malformed.statusCode >= 500)
          failures.push(`${key(r)} malformed JSON: got ${malformed.statusCode}`);
        const limit = r.bodyLimit ?? 1024 * 1024;
        const big = JSON.stringify({ name: 'x'.repeat(limit + 1024) });
        const oversized = await send(f.owner, r.method, url, big);
        if (oversized.statusCode < 400 || oversized.statusCode >= 500)
          failures.push(`${key(r)} oversized body: got ${oversized.statusCode}`);
      }
      report('malformed and oversized bodies');
    });

    test('injection strings in every field, query and path parameter: no 5xx, no effect', async () => {
      for (const r of routes) {
        if (STREAMS.has(key(r)) || SEALS.has(key(r))) continue;
        for (const value of INJECTIONS) {
          const query = queryNames(r.method, r.url)
            .map((q) => `${q}=${encodeURIComponent(value)}`)
            .join('&');
          const url = `${fillPath(r.url, () => value)}?${query}`;
          const body = hasBody(r.method)
            ? JSON.stringify(Object.fromEntries(bodyFields(r.method, r.url).map((k) => [k, value])))
            : undefined;
          check(await send(f.owner, r.method, url, body), `${key(r)} with ${JSON.stringify(value)}`);
        }
        if (hasBody(r.method)) {
          const url = fillPath(r.url, (name) => idFor(own, r.url, name));
          check(await send(f.owner, r.method, url, POLLUTING_JSON), `${key(r)} __proto__ body`);
        }
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      report('injection requests');
    });

    test('a vendor key: injection strings in the vendor API answer no 5xx and change nothing', async () => {
      let reached = 0;
      for (const r of routes.filter((x) => x.security.auth === 'apiKey')) {
        for (const value of INJECTIONS) {
          const query = queryNames(r.method, r.url)
            .map((q) => `${q}=${encodeURIComponent(value)}`)
            .join('&');
          const body = hasBody(r.method)
            ? JSON.stringify(Object.fromEntries(bodyFields(r.method, r.url).map((k) => [k, value])))
            : undefined;
          const res = await send(null, r.method, `${fillPath(r.url, () => value)}?${query}`, body, {
            authorization: `Bearer ${own.apiKeyToken!}`,
          });
          if (res.statusCode !== 401) reached += 1;
          check(res, `${key(r)} as a vendor, with ${JSON.stringify(value)}`);
        }
      }
      assert.ok(reached >= 20, `only ${reached} vendor requests got past the key check`);
      report('vendor API injection requests');
    });

    test("another tenant's real media, restricted message, session and passkey answer 404 and stay unchanged", async () => {
      const clock = {
        now: () => f.clock.now(),
        advance: (seconds: number) => f.clock.advance(seconds * 1000),
      } as ReturnType<typeof manualClock>;
      const globex = await f.t.runtime.tenants.getById(globexOwner.tenantId);
      const b = await seedPrivateRecords(f, clock, globex, {
        id: foreign.channel!,
        appSecret: 'sweep-app-secret-2-0123456789',
        phoneNumberId: '106540352242922',
        wabaId: '102290129340392',
      });
      // The records are real: their own tenant reaches them.
      const restricted = `/api/v1/conversations/${b.conversation}/messages/${b.message}/restricted`;
      const revealed = await send(globexOwner, 'POST', restricted, JSON.stringify({ reason: REASON }));
      expectStatus(revealed, 200);
      assert.ok(revealed.json<{ kinds: string[] }>().kinds.includes('card'), revealed.body);
      const opened = await f.t.runtime.media.open(globex.id, b.media);
      const chunks: Buffer[] = [];
      for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
      assert.equal(Buffer.concat(chunks).toString('utf8'), 'sweep media: a receipt photo');
      const mine = await b.client.get('/api/v1/auth/sessions');
      expectStatus(mine, 200);
      assert.ok(mine.json<Array<{ id: string }>>().some((s) => s.id === b.session));
      const keys = await b.client.get('/api/v1/auth/passkeys');
      expectStatus(keys, 200);
      assert.ok(JSON.stringify(keys.json()).includes(b.passkey));
      const before = await snapshotRecords(f, b);

      // Tenant A's callers: an owner (test actor) and an admin with a real session (account routes).
      const email = 'sweep.cross@acme.test';
      const { token } = await invite(f.t.runtime, f.acme, email, 'admin');
      const { seed } = await enrollWithTotp(f.app, clock, token, PASSWORD);
      const a = await signIn(f.app, clock, { tenant: 'acme', email, password: PASSWORD, seed });
      const attempts: Array<[string, LightMyRequestResponse]> = [
        ['media as owner', await send(f.owner, 'GET', `/api/v1/media/${b.media}`)],
        ['media as admin', await a.get(`/api/v1/media/${b.media}`)],
        ['restricted', await send(f.owner, 'POST', restricted, JSON.stringify({ reason: REASON }))],
        [
          'restricted in own conversation',
          await send(
            f.owner,
            'POST',
            `/api/v1/conversations/${own.conversation!}/messages/${b.message}/restricted`,
            JSON.stringify({ reason: REASON }),
          ),
        ],
        ['revoke session', await a.request('DELETE', `/api/v1/auth/sessions/${b.session}`)],
        ['rename passkey', await a.request('PATCH', `/api/v1/auth/passkeys/${b.passkey}`, { name: 'Taken' })],
        ['remove passkey', await a.request('DELETE', `/api/v1/auth/passkeys/${b.passkey}`)],
      ];
      for (const [what, res] of attempts) expectIn(res, [404], `another tenant's ${what}`);
      report("another tenant's real records");
      assert.deepEqual(await snapshotRecords(f, b), before);
      expectStatus(await b.client.get('/api/v1/me'), 200);
      const still = await b.client.get('/api/v1/auth/sessions');
      assert.ok(still.json<Array<{ id: string }>>().some((s) => s.id === b.session));
    });

    // Last: it moves the clock past the idle timeout.
    test('a real session: own-account routes survive injection strings, and an idle session answers 401', async () => {
      const clock = {
        now: () => f.clock.now(),
        advance: (seconds: number) => f.clock.advance(seconds * 1000),
      } as ReturnType<typeof manualClock>;
      const email = 'sweep.admin@acme.test';
      const { token } = await invite(f.t.runtime, f.acme, email, 'admin');
      const { seed } = await enrollWithTotp(f.app, clock, token, PASSWORD);
      const c = await signIn(f.app, clock, { tenant: 'acme', email, password: PASSWORD, seed });
      expectStatus(await c.get('/api/v1/me'), 200);
      let reached = 0;
      const sessionRoutes = routes.filter((r) => r.security.auth === 'session' && !STREAMS.has(key(r)));
      for (const r of sessionRoutes) {
        if (!r.security.reason || ENDS_SESSION.has(key(r))) continue;
        for (const value of INJECTIONS) {
          const url = `${fillPath(r.url, () => value)}?q=${encodeURIComponent(value)}`;
          const body = hasBody(r.method)
            ? Object.fromEntries(bodyFields(r.method, r.url).map((k) => [k, value]))
            : undefined;
          const res = await c.request(r.method as Method, url, body);
          if (res.statusCode !== 401) reached += 1;
          check(res, `${key(r)} signed in, with ${JSON.stringify(value)}`);
        }
      }
      assert.ok(reached > 100, `only ${reached} signed-in requests got past authentication`);
      report('injection requests with a real session');
      expectStatus(await c.get('/api/v1/me'), 200);

      clock.advance(31 * 60);
      for (const r of sessionRoutes) {
        if (SEALS.has(key(r))) continue;
        const url = fillPath(r.url, (name) => idFor(own, r.url, name));
        const res = await c.request(r.method as Method, url, hasBody(r.method) ? {} : undefined);
        expectIn(res, [401], `${key(r)} with an idle-expired session`);
      }
      report('expired-session requests');
    });
  });
}

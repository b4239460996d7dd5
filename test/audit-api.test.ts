import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { enrollWithTotp, invite, manualClock, signIn, type Client } from './support/auth.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const PASSWORD = 'a long and unguessable pass phrase';

for (const target of databaseTargets()) {
  describe(`the auditor's API behind sign-in and policy (${target.name})`, () => {
    const clock = manualClock();
    let t: TestRuntime;
    let app: FastifyInstance;
    const clients: Record<string, Client> = {};

    before(async () => {
      t = await startTestRuntime(target, { clock });
      const tenant = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
      app = buildApp(t.runtime);
      for (const role of ['owner', 'auditor', 'agent'] as const) {
        const email = `${role}@shop.example`;
        const { token } = await invite(t.runtime, tenant, email, role);
        const { seed } = await enrollWithTotp(app, clock, token, PASSWORD);
        clients[role] = await signIn(app, clock, { tenant: 'shop', email, password: PASSWORD, seed });
      }
      await t.runtime.audit.sequence();
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    test('an auditor reads the chained entries; an agent is refused; nobody unauthenticated gets in', async () => {
      const res = await clients.auditor!.get('/api/v1/audit/entries?limit=50');
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<{ entries: Array<{ action: string }> }>();
      assert.ok(
        body.entries.some((e) => e.action.startsWith('authn_')),
        'sign-ins are in the log',
      );
      assert.equal((await clients.agent!.get('/api/v1/audit/entries')).statusCode, 403);
      assert.equal((await app.inject('/api/v1/audit/entries')).statusCode, 401);
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const TOKEN = 'prometheus-scrape-token-0123456789';
const PHONE = '+8613912345678';

/** The value of one series in the exposition text (labels in the order prom-client writes them). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

for (const target of databaseTargets()) {
  describe(`metrics (${target.name})`, () => {
    let t: TestRuntime;
    let app: FastifyInstance;
    let tenantId: string;

    before(async () => {
      t = await startTestRuntime(target);
      app = buildApp(t.runtime);
      const tenant = await t.runtime.tenants.create({ slug: 'metrics', name: 'Metrics Shop' });
      tenantId = tenant.id;
      await t.runtime.contacts.create(
        tenant,
        { waId: PHONE.slice(1), profileName: 'Mei Lin' },
        {
          type: 'cli',
          id: 'test',
        },
      );
      const now = new Date().toISOString();
      await t.runtime.database.db
        .insertInto('outbox')
        .values({
          id: 'ob_metricstest00000000000000',
          tenant_id: tenant.id,
          kind: 'send_message',
          idempotency_key: 'metrics-test',
          payload_ct: Buffer.alloc(40),
          status: 'pending',
          attempts: 0,
          next_attempt_at: now,
          last_error: null,
          created_at: new Date(Date.now() - 90_000).toISOString(),
          updated_at: now,
        })
        .execute();
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    test('a local scrape reports requests, outbox depth and age, key ages and seal state in Prometheus format', async () => {
      await app.inject('/healthz');
      const res = await app.inject('/metrics');
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      const text = res.body;
      assert.ok(
        (sample(
          text,
          'chatvault_http_request_duration_seconds_count{method="GET",route="/healthz",status="2xx"}',
        ) ?? 0) >= 1,
      );
      assert.equal(sample(text, 'chatvault_outbox_depth{kind="send_message",status="pending"}'), 1);
      const age = sample(text, 'chatvault_outbox_oldest_age_seconds');
      assert.ok(age !== undefined && age >= 89 && age < 600, `outbox age ${age}`);
      assert.equal(sample(text, 'chatvault_sealed'), 0);
      const dataKeyAge = sample(
        text,
        `chatvault_key_age_seconds{tenant="${tenantId}",purpose="data",version="1"}`,
      );
      assert.ok(dataKeyAge !== undefined && dataKeyAge >= 0 && dataKeyAge < 600);
      assert.ok(sample(text, 'chatvault_audit_pending_entries') !== undefined);
      assert.ok(sample(text, 'chatvault_process_resident_memory_bytes') !== undefined);
      // Labels are ids and enums: nothing about the customer appears.
      for (const secret of [PHONE, PHONE.slice(1), '13912345678', 'Mei Lin'])
        assert.ok(!text.includes(secret));
    });

    test('without a token, only this machine may scrape, and never through a proxy', async () => {
      const remote = await app.inject({ url: '/metrics', remoteAddress: '10.1.2.3' });
      assert.equal(remote.statusCode, 403);
      assert.match(remote.json<{ error: { message: string } }>().error.message, /CHATVAULT_METRICS_TOKEN/);
      const proxied = await app.inject({ url: '/metrics', headers: { 'x-forwarded-for': '203.0.113.9' } });
      assert.equal(proxied.statusCode, 403);
    });

    test('the seal shows at the next scrape', async () => {
      await t.runtime.seal();
      const text = (await app.inject('/metrics')).body;
      assert.equal(sample(text, 'chatvault_sealed'), 1);
    });
  });

  describe(`metrics with a scrape token (${target.name})`, () => {
    let t: TestRuntime;
    let app: FastifyInstance;

    before(async () => {
      t = await startTestRuntime(target, { env: { CHATVAULT_METRICS_TOKEN: TOKEN } });
      app = buildApp(t.runtime);
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    test('the bearer token is required from anywhere, and the right one is accepted from anywhere', async () => {
      assert.equal((await app.inject('/metrics')).statusCode, 401);
      const wrong = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}x` } });
      assert.equal(wrong.statusCode, 401);
      const right = await app.inject({
        url: '/metrics',
        remoteAddress: '10.1.2.3',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(right.statusCode, 200);
      assert.ok(!right.body.includes(TOKEN));
      assert.ok(!t.logs.join('').includes(TOKEN), 'the token is never logged');
    });
  });
}

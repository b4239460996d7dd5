// Vendor API: one page of 100 contacts read through a vendor key (`GET /api/vendor/v1/contacts`: key
// check with its keyed hash, vendor compliance, IP allowlist, rate limit, decryption, per-vendor
// pseudonyms, one audit entry per contact returned) beside the same page through an operator session
// (`GET /api/v1/contacts?limit=100`: Cedar decisions, masking, audit of clear values only), both over
// the in-process HTTP app, in alternating slices, same run, SQLite. The operator's actor is set by a
// bench hook (as the tests do), so the baseline does not pay a session lookup; the vendor path pays
// its whole key check.
import { buildApp } from '../../src/app.ts';
import { fakeCustomers } from '../../src/features/demo/fake-customers.ts';
import { newId } from '../../src/lib/ids.ts';
import { alternate, percentile } from '../lib/timing.ts';
import type { BenchSuite } from '../lib/suite.ts';
import { startBenchRuntime } from '../lib/bench-runtime.ts';

const BUDGET_MS = 20_000;
const PAGE = 100;

const suite: BenchSuite = {
  name: 'vendors',
  baselines: { 'vendors.api_read_p50_ms': ['vendors.operator_read_p50_ms'] },
  async run() {
    const { runtime, close } = await startBenchRuntime('vendors');
    runtime.audit.start();
    const app = buildApp(runtime);
    try {
      const db = runtime.database.db;
      const tenant = await runtime.tenants.create({ slug: 'bench', name: 'Bench' });
      const system = { type: 'system', id: 'bench' } as const;
      await runtime.contacts.createMany(tenant, fakeCustomers(PAGE, 11), system);
      const admin = await db
        .transaction()
        .execute((trx) =>
          runtime.operators.create(trx, tenant, { email: 'admin@example.com', role: 'admin' }),
        );
      for (const kind of ['security_training', 'policy_ack'] as const)
        await db
          .insertInto('training_records')
          .values({
            id: newId('tr'),
            tenant_id: tenant.id,
            operator_id: admin.id,
            kind,
            version: '1',
            completed_at: new Date().toISOString(),
            expires_at: new Date(Date.now() + 86_400_000).toISOString(),
            evidence_ref: null,
            recorded_by: 'bench',
            created_at: new Date().toISOString(),
          })
          .execute();
      app.addHook('onRequest', async (request) => {
        if (request.headers['x-bench-operator'] !== admin.id) return;
        request.actor = {
          type: 'operator',
          tenantId: tenant.id,
          id: admin.id,
          role: 'admin',
          mfaVerifiedAt: new Date().toISOString(),
          ip: '127.0.0.1',
          requestId: request.id,
        };
        return Promise.resolve();
      });
      const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();
      const vendor = await runtime.vendors.create(
        tenant.id,
        {
          name: 'Bench CRM',
          purpose: 'benchmark',
          riskTier: 'medium',
          region: 'EU',
          transferMechanism: 'none',
          dpaSignedAt: day(-1),
          dpaExpiresAt: day(365),
          breachNoticeHours: 48,
          nextReviewAt: day(180),
          owner: 'bench',
        },
        system,
      );
      const { token } = await runtime.apiKeys.create(
        tenant.id,
        vendor.id,
        {
          label: 'bench',
          scopes: { contacts: 'read' },
          ratePerMinute: 100_000,
          ipAllowlist: ['127.0.0.0/8'],
          expiresInDays: 30,
        },
        system,
      );

      const vendorMs: number[] = [];
      const operatorMs: number[] = [];
      const timed = async (into: number[], run: () => Promise<{ statusCode: number; body: string }>) => {
        const start = performance.now();
        const res = await run();
        into.push(performance.now() - start);
        if (res.statusCode !== 200) throw new Error(`bench request failed: ${res.statusCode}`);
        const n = (JSON.parse(res.body) as { contacts: unknown[] }).contacts.length;
        if (n !== PAGE) throw new Error(`the page lost contacts (${n})`);
        return 1;
      };
      await alternate(BUDGET_MS, {
        vendor: () =>
          timed(vendorMs, () =>
            app.inject({
              method: 'GET',
              url: '/api/vendor/v1/contacts',
              headers: { authorization: `Bearer ${token}` },
            }),
          ),
        operator: () =>
          timed(operatorMs, () =>
            app.inject({
              method: 'GET',
              url: `/api/v1/contacts?limit=${PAGE}`,
              headers: { 'x-bench-operator': admin.id },
            }),
          ),
      });
      return {
        'vendors.api_read_p50_ms': percentile(vendorMs, 50),
        'vendors.api_read_p99_ms': percentile(vendorMs, 99),
        'vendors.operator_read_p50_ms': percentile(operatorMs, 50),
        'vendors.operator_read_p99_ms': percentile(operatorMs, 99),
        'vendors.requests_measured': vendorMs.length,
      };
    } finally {
      await app.close();
      await close();
    }
  },
};

export default suite;

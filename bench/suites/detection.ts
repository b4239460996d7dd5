// Detection on the embedded SQLite default. Throughput: the rule engine over 100,000 chained audit
// entries (a realistic mix: reads by 2,000 operators at normal rates, sign-ins, failures, webhooks),
// against the same-run baseline of reading the same entries through the same query with no rules.
// Latency: with the audit sequencer and the engine running on their 250 ms timers (as in the
// server), from the commit of a canary read to its alert row; baseline: from the same commit until
// the sequencer has chained the entry (the engine can see nothing earlier).
import type { AuditEvent } from '../../src/features/audit/audit.service.ts';
import * as detectionRepo from '../../src/features/detection/detection.repository.ts';
import type { Tenant } from '../../src/features/tenants/tenants.service.ts';
import { type Runtime } from '../../src/runtime.ts';
import type { BenchSuite } from '../lib/suite.ts';
import { startBenchRuntime } from '../lib/bench-runtime.ts';

const EVENTS = 100_000;
const BATCH = 5_000;
const LATENCY_SAMPLES = 40;

function mixed(tenant: Tenant, i: number): AuditEvent {
  const o = i % 2000; // 2,000 operators, each from its own address, at normal rates
  const op = `op_${o}`;
  const base = { tenantId: tenant.id, outcome: 'success' as const, clientIp: `10.${o >> 8}.${o & 255}.1` };
  switch (i % 10) {
    case 0:
      return {
        ...base,
        actor: { type: 'operator', id: op },
        action: 'authn_login_success',
        target: { type: 'operator', id: op },
      };
    case 1:
      return {
        ...base,
        actor: { type: 'operator', id: op },
        action: 'authn_login_fail',
        target: { type: 'operator', id: op },
        outcome: 'failure',
      };
    case 2:
      return {
        ...base,
        actor: { type: 'system', id: 'whatsapp-webhook' },
        action: 'sensitive_create',
        target: { type: 'message', id: `ms_${i}` },
      };
    default:
      return {
        ...base,
        actor: { type: 'operator', id: op },
        action: 'sensitive_read',
        target: { type: 'contact', id: `ct_${i % 20_000}` },
      };
  }
}

async function fill(runtime: Runtime, tenant: Tenant): Promise<void> {
  const { db } = runtime.database;
  for (let i = 0; i < EVENTS; i += BATCH) {
    const events = Array.from({ length: BATCH }, (_, k) => mixed(tenant, i + k));
    await db.transaction().execute((trx) => runtime.audit.appendMany(trx, events));
    while ((await runtime.audit.sequence()).sequenced > 0);
  }
}

async function throughput(runtime: Runtime, tenant: Tenant) {
  const { db } = runtime.database;
  let s = performance.now();
  let read = 0;
  for (let after = -1; ;) {
    const rows = await detectionRepo.entriesAfter(db, tenant.id, after, 2000);
    if (rows.length === 0) break;
    read += rows.length;
    after = rows.at(-1)!.seq;
  }
  const readOnly = (read * 1000) / (performance.now() - s);
  s = performance.now();
  const processed = await runtime.detection.engine.run();
  const withRules = (processed * 1000) / (performance.now() - s);
  if (processed < EVENTS) throw new Error(`the engine read ${processed} of ${EVENTS} entries`);
  return { readOnly, withRules };
}

const p99 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.99) - 1)]!;

async function latency(runtime: Runtime, tenant: Tenant) {
  const { db } = runtime.database;
  await runtime.detection.run(); // provisions the canaries
  const [canary] = await db
    .selectFrom('access_canaries')
    .select('contact_id')
    .where('tenant_id', '=', tenant.id)
    .execute();
  runtime.audit.start();
  runtime.detection.engine.start();
  const toAlert: number[] = [];
  const toChain: number[] = [];
  try {
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const actor = `op_intruder${i}`;
      await db.transaction().execute((trx) =>
        runtime.audit.append(trx, {
          tenantId: tenant.id,
          actor: { type: 'operator', id: actor },
          action: 'sensitive_read',
          target: { type: 'contact', id: canary!.contact_id },
          outcome: 'success',
        }),
      );
      const start = performance.now();
      let chained = 0;
      for (;;) {
        if (!chained) {
          const row = await db
            .selectFrom('audit_entries')
            .select('seq')
            .where('tenant_id', '=', tenant.id)
            .where('actor_id', '=', actor)
            .executeTakeFirst();
          if (row?.seq !== null && row?.seq !== undefined) chained = performance.now() - start;
        }
        const alert = await db
          .withTables<{ detection_alerts: { tenant_id: string; actor_id: string | null; rule: string } }>()
          .selectFrom('detection_alerts')
          .select('rule')
          .where('tenant_id', '=', tenant.id)
          .where('actor_id', '=', actor)
          .executeTakeFirst();
        if (alert) {
          toAlert.push(performance.now() - start);
          toChain.push(chained || performance.now() - start);
          break;
        }
        if (performance.now() - start > 10_000) throw new Error('no alert within 10 s');
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  } finally {
    await runtime.detection.engine.stop();
    await runtime.audit.stop();
  }
  return { alertP99: p99(toAlert), chainP99: p99(toChain) };
}

const suite: BenchSuite = {
  name: 'detection',
  baselines: {
    'detection.events_per_s': ['baseline.detection_read_only_events_per_s'],
    'detection.alert_latency_p99_ms': ['baseline.detection_chain_latency_p99_ms'],
  },
  async run() {
    const { runtime, close } = await startBenchRuntime('detection');
    try {
      const tenant = await runtime.tenants.create({ slug: 'bench', name: 'Bench' });
      await fill(runtime, tenant);
      const rate = await throughput(runtime, tenant);
      const lat = await latency(runtime, tenant);
      return {
        'detection.events_per_s': rate.withRules,
        'baseline.detection_read_only_events_per_s': rate.readOnly,
        'detection.alert_latency_p99_ms': lat.alertP99,
        'baseline.detection_chain_latency_p99_ms': lat.chainP99,
      };
    } finally {
      await close();
    }
  },
};

export default suite;

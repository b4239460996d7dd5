// Encrypted contacts against the same contacts in plaintext, in one SQLite database, in the same run:
// find by phone among 1,000,000 customers, and single-contact inserts (one transaction each, with the
// identity check a webhook performs). Both sides go through Kysely. `store.*` is the encrypted store
// (per-customer key, sealed fields, blind indexes) against the plaintext table: the cost of encryption.
// `store.audited_*` is the same through the contact service, which adds what staff access costs on top
// (a `sensitive_read` or `sensitive_create` entry, in the same transaction): the cost of the audit.
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { parseContactInput } from '../../src/features/contacts/contact-input-check.ts';
import type { CreateContactInput } from '../../src/features/contacts/contacts.schema.ts';
import { normalizePhone } from '../../src/features/vault/normalize.ts';
import { dropValueSamples } from '../../src/db/planner-samples.ts';
import { newId } from '../../src/lib/ids.ts';
import { type Runtime } from '../../src/runtime.ts';
import type { Tenant } from '../../src/features/tenants/tenants.service.ts';
import { alternate, percentile } from '../lib/timing.ts';
import type { BenchSuite } from '../lib/suite.ts';
import { createPlainStore } from './store-plain.ts';
import { startBenchRuntime } from '../lib/bench-runtime.ts';

const ROWS = Number(process.env.BENCH_STORE_ROWS ?? 1_000_000);
const BATCH = 2_000;
const LOOKUPS = 5_000;
const INSERT_BUDGET_MS = 8_000;

const FIRST = ['Wei', 'Ana', 'Priya', 'Lukas', 'Sofia', 'Chen', 'Fatima', 'Mateo', 'Yuki', '张伟'];
const LAST = ['Zhang', 'Silva', 'Sharma', 'Okafor', 'Müller', 'Rossi', 'Haddad', 'García', 'Tanaka'];

/** The i-th synthetic customer: distinct Chinese mobile numbers via a bijection on 0..10^8−1. */
function customer(i: number): CreateContactInput & { waId: string } {
  const national = String((i * 7919 + 12_345) % 100_000_000).padStart(8, '0');
  const waId = `86139${national}`;
  return {
    waId,
    profileName: `${FIRST[i % FIRST.length]} ${LAST[i % LAST.length]}`,
    email: `customer${i}@example.com`,
    tags: i % 3 === 0 ? ['vip'] : ['lead'],
    attributes: { lastOrder: `ORD-${100_000 + i}` },
  };
}

// Service reveals are audited (one `sensitive_read` per contact found).
const BENCH_ACTOR = { type: 'system', id: 'bench' } as const;
const BENCH_REVEAL = { actor: BENCH_ACTOR, reason: 'bench: lookup latency' };

async function fill(runtime: Runtime, tenant: Tenant, plain: ReturnType<typeof createPlainStore>) {
  const started = performance.now();
  for (let at = 0; at < ROWS; at += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, ROWS - at) }, (_, k) => customer(at + k));
    const prepared = await Promise.all(batch.map((c) => prepare(runtime, tenant, c)));
    await runtime.database.db
      .transaction()
      .execute((trx) => runtime.contactStore.insert(trx, tenant, prepared));
    await plain.insertMany(batch);
    if ((at / BATCH) % 50 === 0)
      process.stderr.write(`  store: ${at.toLocaleString()} / ${ROWS.toLocaleString()} rows\r`);
  }
  process.stderr.write(
    `  store: ${ROWS.toLocaleString()} rows in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
  );
}

const prepare = (runtime: Runtime, tenant: Tenant, c: CreateContactInput) =>
  runtime.contactStore.prepare(tenant, parseContactInput(c));

/** One encrypted customer in its own transaction, with the identity check (no audit entry). */
async function storeInsert(runtime: Runtime, tenant: Tenant, c: CreateContactInput): Promise<void> {
  const prepared = await prepare(runtime, tenant, c);
  await runtime.database.db
    .transaction()
    .execute((trx) => runtime.contactStore.insert(trx, tenant, [prepared]));
}

async function lookupLatencies(find: (phone: string) => Promise<number>, seed: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let k = 0; k < LOOKUPS; k++) {
    const i = (k * 104_729 + seed) % ROWS;
    const start = performance.now();
    const found = await find(`+${customer(i).waId}`);
    latencies.push(performance.now() - start);
    if (found !== 1) throw new Error('a stored customer was not found exactly once');
  }
  return latencies;
}

const suite: BenchSuite = {
  name: 'store',
  baselines: {
    'store.lookup_p50_ms': ['store.plain_lookup_p50_ms'],
    'store.lookup_p99_ms': ['store.plain_lookup_p99_ms'],
    'store.insert_per_s': ['store.plain_insert_per_s'],
    'store.audited_lookup_p50_ms': ['store.plain_lookup_p50_ms'],
    'store.audited_insert_per_s': ['store.plain_insert_per_s'],
  },
  async run() {
    const { runtime, dataDir, close } = await startBenchRuntime('store');
    try {
      const tenant = await runtime.tenants.create({ slug: 'bench', name: 'Bench', expectedContacts: ROWS });
      const plain = createPlainStore(runtime.database.db, tenant.id);
      await plain.createTable();
      await fill(runtime, tenant, plain);
      await sql`analyze`.execute(runtime.database.db);
      // What the server does when it opens a database: keep ANALYZE's index statistics, drop its value
      // samples (with them SQLite recompiles every lookup on each call; src/db/planner-samples.ts).
      await dropValueSamples(runtime.database.db);

      const db = runtime.database.db;
      const paths = {
        ours: (p: string) =>
          runtime.contactStore.findByPhone(db, tenant, normalizePhone(p)).then((r) => r.matches.length),
        plain: (p: string) => plain.findByPhone(p).then((r) => r.length),
        audited: (p: string) => runtime.contacts.findByPhone(tenant, p, BENCH_REVEAL).then((r) => r.length),
      };
      // Warm every path, then alternate: encrypted, plain, audited, encrypted, plain, audited…
      for (const find of Object.values(paths)) await lookupLatencies(find, 1);
      const latencies = { ours: [] as number[], plain: [] as number[], audited: [] as number[] };
      for (const seed of [3, 5, 7, 11])
        for (const [name, find] of Object.entries(paths))
          latencies[name as keyof typeof paths].push(...(await lookupLatencies(find, seed)));

      let next = ROWS;
      const inserts = await alternate(INSERT_BUDGET_MS, {
        ours: async () => {
          for (let k = 0; k < 100; k++) await storeInsert(runtime, tenant, customer(next++));
          return 100;
        },
        plain: async () => {
          for (let k = 0; k < 100; k++) await plain.insertOne({ ...customer(next++), id: newId('ct') });
          return 100;
        },
        audited: async () => {
          for (let k = 0; k < 100; k++) await runtime.contacts.create(tenant, customer(next++), BENCH_ACTOR);
          return 100;
        },
      });
      return {
        'store.rows': ROWS,
        'store.lookup_p50_ms': percentile(latencies.ours, 50),
        'store.lookup_p99_ms': percentile(latencies.ours, 99),
        'store.plain_lookup_p50_ms': percentile(latencies.plain, 50),
        'store.plain_lookup_p99_ms': percentile(latencies.plain, 99),
        'store.audited_lookup_p50_ms': percentile(latencies.audited, 50),
        'store.audited_lookup_p99_ms': percentile(latencies.audited, 99),
        'store.insert_per_s': inserts.ours,
        'store.plain_insert_per_s': inserts.plain,
        'store.audited_insert_per_s': inserts.audited,
        'store.db_mib': fs.statSync(path.join(dataDir, 'chatvault.db')).size / 2 ** 20,
      };
    } finally {
      await close();
    }
  },
};

export default suite;

import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { Db } from '../../src/db/database.ts';
import { Frontier, GENESIS, chainHash, chainedFromRow } from '../../src/features/audit/chain.ts';
import { checkpointMessage, toCheckpoint } from '../../src/features/audit/checkpoint.ts';
import type { AuditEvent } from '../../src/features/audit/audit.service.ts';
import type { Tenant } from '../../src/features/tenants/tenants.service.ts';
import type { Runtime } from '../../src/runtime.ts';
import { testOperator } from './actors.ts';

let counter = 0;

/** A plausible event: reads of made-up contacts with a reason under the tenant `restricted` key. */
export function someEvent(tenant: Tenant, overrides: Partial<AuditEvent> = {}): AuditEvent {
  counter++;
  return {
    tenantId: tenant.id,
    actor: testOperator,
    action: 'sensitive_read',
    target: { type: 'contact', id: `ct_${counter}` },
    outcome: 'success',
    reason: `ticket ${counter}`,
    requestId: `rq_${counter}`,
    clientIp: '192.0.2.7',
    policyIds: ['agent-assigned'],
    ...overrides,
  };
}

/** Appends `n` events, one transaction each, as real actions would. */
export async function appendEvents(runtime: Runtime, tenant: Tenant, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await runtime.database.db.transaction().execute((trx) => runtime.audit.append(trx, someEvent(tenant)));
  }
}

/** A log of `segments` entries each, with a signed checkpoint after each segment (e.g. sizes 10, 20, 30). */
export async function buildLog(runtime: Runtime, tenant: Tenant, segments = [10, 10, 10]): Promise<void> {
  for (const n of segments) {
    await appendEvents(runtime, tenant, n);
    await runtime.audit.sequence({ forceCheckpoint: true });
  }
}

/** What an attacker with database access (and the published algorithm) can do: recompute everything unsigned. */
export async function rewriteChain(db: Db, tenantId: string): Promise<void> {
  const rows = await db
    .selectFrom('audit_entries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('seq', 'is not', null)
    .orderBy('seq')
    .execute();
  const frontier = Frontier.empty();
  const nodes: Array<{ tenant_id: string; level: number; idx: number; hash: Buffer }> = [];
  let previous = GENESIS;
  for (const row of rows) {
    const hash = chainHash(previous, chainedFromRow(row, Number(row.seq)));
    frontier.append(hash, (level, idx, h) => {
      if (level % 8 === 0) nodes.push({ tenant_id: tenantId, level, idx, hash: h });
    });
    await db.updateTable('audit_entries').set({ hash }).where('id', '=', row.id).execute();
    previous = hash;
  }
  await db.deleteFrom('audit_nodes').where('tenant_id', '=', tenantId).execute();
  if (nodes.length > 0) await db.insertInto('audit_nodes').values(nodes).execute();
  await db
    .updateTable('audit_heads')
    .set({ size: frontier.size, hash: previous, frontier: frontier.serialize() })
    .where('tenant_id', '=', tenantId)
    .execute();
}

/** Re-signs every checkpoint over the (rewritten) entries with the attacker's own key. */
export async function resignCheckpoints(db: Db, tenantId: string, key: KeyObject): Promise<void> {
  const rows = await db
    .selectFrom('audit_entries')
    .select(['seq', 'hash'])
    .where('tenant_id', '=', tenantId)
    .where('seq', 'is not', null)
    .orderBy('seq')
    .execute();
  const cps = await db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .execute();
  for (const row of cps) {
    const c = toCheckpoint(row);
    const frontier = Frontier.empty();
    for (const r of rows.slice(0, c.treeSize)) frontier.append(Buffer.from(r.hash!));
    const unsigned = { ...c, rootHash: frontier.root(), chainHead: Buffer.from(rows[c.treeSize - 1]!.hash!) };
    await db
      .updateTable('audit_checkpoints')
      .set({
        root_hash: unsigned.rootHash,
        chain_head: unsigned.chainHead,
        signature: sign(null, checkpointMessage(unsigned), key),
      })
      .where('tenant_id', '=', tenantId)
      .where('ordinal', '=', c.ordinal)
      .execute();
  }
}

export function attackerKeys(): { privateKey: KeyObject; spki: Buffer } {
  const pair = generateKeyPairSync('ed25519');
  return { privateKey: pair.privateKey, spki: pair.publicKey.export({ format: 'der', type: 'spki' }) };
}

/** Sets columns of the entry at `seq`. */
export async function editEntry(db: Db, tenantId: string, seq: number, patch: Record<string, unknown>) {
  await db
    .updateTable('audit_entries')
    .set(patch)
    .where('tenant_id', '=', tenantId)
    .where('seq', '=', seq)
    .execute();
}

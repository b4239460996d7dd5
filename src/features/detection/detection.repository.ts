import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import { detectionDb, type DetectionAlertsTable } from './detection.table.ts';
import type { DetectionEvent } from './rules.ts';

/** The cursor of one tenant (-1 before the first entry). */
export async function cursorOf(db: Db, tenantId: string): Promise<number> {
  const row = await detectionDb(db)
    .selectFrom('detection_cursors')
    .select('last_seq')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return row ? Number(row.last_seq) : -1;
}

/** Moves the cursor from `from` to `to`; false when another process moved it first. */
export async function advanceCursor(db: Db, tenantId: string, from: number, to: number, at: string) {
  const d = detectionDb(db);
  if (from < 0) {
    const inserted = await d
      .insertInto('detection_cursors')
      .values({ tenant_id: tenantId, last_seq: to, updated_at: at })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return true;
  }
  const moved = await d
    .updateTable('detection_cursors')
    .set({ last_seq: to, updated_at: at })
    .where('tenant_id', '=', tenantId)
    .where('last_seq', '=', from)
    .executeTakeFirst();
  return Number(moved.numUpdatedRows) === 1;
}

/** Chained entries after `afterSeq`, in chain order (ids only: no ciphertext column is read). */
export async function entriesAfter(
  db: Db,
  tenantId: string,
  afterSeq: number,
  limit: number,
): Promise<DetectionEvent[]> {
  const rows = await db
    .selectFrom('audit_entries')
    .select([
      'seq',
      'time',
      'actor_type',
      'actor_id',
      'action',
      'target_type',
      'target_id',
      'outcome',
      'subject_id',
      'client_ip',
    ])
    .where('tenant_id', '=', tenantId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    seq: Number(r.seq),
    time: r.time,
    actorType: r.actor_type,
    actorId: r.actor_id,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    outcome: r.outcome,
    subjectId: r.subject_id,
    clientIp: r.client_ip,
  }));
}

/** The first seq whose time is at or after `time`, at most `maxSeq` (for re-priming windows after a restart). */
export async function firstSeqSince(db: Db, tenantId: string, time: string, maxSeq: number): Promise<number> {
  const row = await db
    .selectFrom('audit_entries')
    .select((eb) => eb.fn.min('seq').as('s'))
    .where('tenant_id', '=', tenantId)
    .where('seq', '<=', maxSeq)
    .where('time', '>=', time)
    .executeTakeFirst();
  return row?.s === null || row?.s === undefined ? maxSeq + 1 : Number(row.s);
}

export async function timeOfSeq(db: Db, tenantId: string, seq: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('audit_entries')
    .select('time')
    .where('tenant_id', '=', tenantId)
    .where('seq', '=', seq)
    .executeTakeFirst();
  return row?.time;
}

/** Inserts alerts; returns only those that were new (a replayed alert hits the unique dedup key). */
export async function insertAlerts(db: Db, rows: DetectionAlertsTable[]): Promise<DetectionAlertsTable[]> {
  const fresh: DetectionAlertsTable[] = [];
  for (const row of rows) {
    const r = await detectionDb(db)
      .insertInto('detection_alerts')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'dedup_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (r) fresh.push(row);
  }
  return fresh;
}

export async function addActivity(db: Db, tenantId: string, counts: Map<string, number>): Promise<void> {
  if (counts.size === 0) return;
  const values = [...counts].map(([k, count]) => {
    const i = k.lastIndexOf('|');
    return { tenant_id: tenantId, actor: k.slice(0, i), hour: k.slice(i + 1), count };
  });
  await detectionDb(db)
    .insertInto('detection_activity')
    .values(values)
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'actor', 'hour'])
        .doUpdateSet({ count: sql<number>`detection_activity.count + excluded.count` }),
    )
    .execute();
}

/** The actor's busiest hour in the 14 days before `beforeHour` (its own baseline). */
export async function baselineOf(
  db: Db,
  tenantId: string,
  actor: string,
  beforeHour: string,
  sinceHour: string,
) {
  const row = await detectionDb(db)
    .selectFrom('detection_activity')
    .select((eb) => eb.fn.max('count').as('m'))
    .where('tenant_id', '=', tenantId)
    .where('actor', '=', actor)
    .where('hour', '<', beforeHour)
    .where('hour', '>=', sinceHour)
    .executeTakeFirst();
  return Number(row?.m ?? 0);
}

export async function networksOf(db: Db, tenantId: string, operatorIds: string[]) {
  if (operatorIds.length === 0) return [];
  return detectionDb(db)
    .selectFrom('detection_networks')
    .select(['operator_id', 'network'])
    .where('tenant_id', '=', tenantId)
    .where('operator_id', 'in', operatorIds)
    .execute();
}

export async function addNetworks(
  db: Db,
  rows: Array<{ tenant_id: string; operator_id: string; network: string; first_seen: string }>,
): Promise<void> {
  if (rows.length === 0) return;
  await detectionDb(db)
    .insertInto('detection_networks')
    .values(rows)
    .onConflict((oc) => oc.columns(['tenant_id', 'operator_id', 'network']).doNothing())
    .execute();
}

export async function canariesOf(db: Db, tenantId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('access_canaries')
    .select('contact_id')
    .where('tenant_id', '=', tenantId)
    .execute();
  return rows.map((r) => r.contact_id);
}

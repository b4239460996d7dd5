import { associatedData, keyVersionOf, open, seal, type AeadKey } from '../../lib/crypto/aead.ts';
import { advance, updateBlobs, type StepDeps, type StepResult } from './rewrap-steps.ts';
import type { KeyJobsTable } from './keys.table.ts';

/** Customer columns re-encrypted when that customer's key is rotated (all bound to their row by AD). */
const CONTACT_COLUMNS = [
  ['phone_ct', 'phone'],
  ['name_ct', 'name'],
  ['email_ct', 'email'],
  ['attributes_ct', 'attributes'],
] as const;

/** Row tables holding one ciphertext per row under the customer's key: [table, column, AD column]. */
export const CUSTOMER_ROW_TABLES = [
  ['messages', 'content_ct', 'content'],
  ['consent_events', 'evidence_ct', 'evidence'],
] as const;

async function keysOf(d: StepDeps, job: KeyJobsTable) {
  const contactId = job.contact_id!;
  const target = await d.keyring.contactKey(job.tenant_id, contactId, job.target_version);
  const cache = new Map<number, AeadKey>([[target.id, target]]);
  return {
    target,
    async of(version: number): Promise<AeadKey> {
      let key = cache.get(version);
      if (!key) {
        key = await d.keyring.contactKey(job.tenant_id, contactId, version);
        cache.set(version, key);
      }
      return key;
    },
  };
}

/** Re-seals a blob under `target` if it is under another version; null when nothing is to do. */
async function reseal(
  keys: Awaited<ReturnType<typeof keysOf>>,
  blob: Buffer | null,
  ad: Buffer,
): Promise<Buffer | null> {
  if (!blob) return null;
  const from = keyVersionOf(blob);
  if (from === keys.target.id) return null;
  const clear = open(await keys.of(from), blob, ad);
  try {
    return seal(keys.target, clear, ad);
  } finally {
    clear.fill(0);
  }
}

/** Phase `contact`: the customer's own fields (one row). */
export async function reencryptContactStep(d: StepDeps, job: KeyJobsTable): Promise<StepResult | null> {
  if (job.cursor === 'done') return null;
  const contactId = job.contact_id!;
  const row = await d.db
    .selectFrom('contacts')
    .selectAll()
    .where('tenant_id', '=', job.tenant_id)
    .where('id', '=', contactId)
    .executeTakeFirst();
  const keys = row?.key_wrapped ? await keysOf(d, job) : undefined;
  const set: Record<string, Buffer> = {};
  const where: Record<string, Buffer> = {};
  for (const [column, adColumn] of keys && row ? CONTACT_COLUMNS : []) {
    const prev = row![column];
    const next = await reseal(keys!, prev, associatedData(job.tenant_id, 'contacts', adColumn, contactId));
    if (next && prev) {
      set[column] = next;
      where[column] = prev;
    }
  }
  await d.db.transaction().execute(async (trx) => {
    if (Object.keys(set).length > 0) {
      let q = trx.updateTable('contacts').set(set).where('id', '=', contactId);
      for (const [column, prev] of Object.entries(where)) q = q.where(column as 'phone_ct', '=', prev);
      await q.execute();
    }
    await advance(trx, job, 'done', 1, d);
  });
  return { seen: 1, changed: Object.keys(set).length, cursor: 'done' };
}

/** Phases `messages` and `consent_events`: the customer's rows, in id order, a batch at a time. */
export async function reencryptRowsStep(
  d: StepDeps,
  job: KeyJobsTable,
  batch: number,
  [table, column, adColumn]: (typeof CUSTOMER_ROW_TABLES)[number],
): Promise<StepResult | null> {
  const rows = (await d.db
    .selectFrom(table)
    .select(['id', column])
    .where('tenant_id', '=', job.tenant_id)
    .where('contact_id', '=', job.contact_id!)
    .where('id', '>', job.cursor)
    .orderBy('id')
    .limit(batch)
    .execute()) as unknown as Array<{ id: string } & Record<string, Buffer | null>>;
  if (rows.length === 0) return null;
  const keys = await keysOf(d, job);
  const updates: Array<[string, Buffer, Buffer]> = [];
  for (const r of rows) {
    const prev = r[column] ?? null;
    const next = await reseal(keys, prev, associatedData(job.tenant_id, table, adColumn, r.id));
    if (next && prev) updates.push([r.id, next, prev]);
  }
  const cursor = rows.at(-1)!.id;
  await d.db.transaction().execute(async (trx) => {
    await updateBlobs(trx, d.dialect, { table, column, keyColumn: 'id', tenantId: job.tenant_id }, updates);
    await advance(trx, job, cursor, rows.length, d);
  });
  return { seen: rows.length, changed: updates.length, cursor };
}

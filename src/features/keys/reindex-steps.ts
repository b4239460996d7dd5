import type { ContactCodec } from '../contacts/contact-codec.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import { ACTIVE_VERSION_TTL_MS } from './keyring.ts';
import { advance, type StepDeps, type StepResult } from './rewrap-steps.ts';
import type { KeyJobsTable } from './keys.table.ts';

export interface ReindexDeps extends StepDeps {
  readonly codec: ContactCodec;
  readonly tenants: Pick<TenantService, 'getById'>;
}

/**
 * Tenant `index` rotation, phase `contacts`: each customer's phone and e-mail are opened with their
 * own key and their blind indexes recomputed under the new version; the row's `index_version` moves
 * with them. A row is updated only if its ciphertexts did not change meanwhile (a concurrent writer
 * then computed its own indexes; the final count sends the job round again for it). Keyed hashes of
 * identities stay under the stable version (their inputs are not stored; see `Keyring.indexKey`).
 */
export async function reindexContactsStep(
  d: ReindexDeps,
  job: KeyJobsTable,
  batch: number,
): Promise<StepResult | null> {
  if (job.cursor === '') {
    // Every process must write under the new version before a row counts as done (versions are
    // cached for ACTIVE_VERSION_TTL_MS): wait that out once, at the start.
    const age = d.clock.now().getTime() - Date.parse(job.created_at);
    if (age < 2 * ACTIVE_VERSION_TTL_MS)
      await new Promise((r) => setTimeout(r, 2 * ACTIVE_VERSION_TTL_MS - age));
  }
  const rows = await d.db
    .selectFrom('contacts')
    .select(['id', 'key_version', 'key_wrapped', 'phone_ct', 'email_ct', 'index_version'])
    .where('tenant_id', '=', job.tenant_id)
    .where('id', '>', job.cursor)
    .orderBy('id')
    .limit(batch)
    .execute();
  if (rows.length === 0) return null;
  const tenant = await d.tenants.getById(job.tenant_id);
  const updates: Array<{
    id: string;
    set: { phone_bidx: number | null; phone_last4_bidx: number | null; email_bidx: number | null };
    phone: Buffer | null;
    email: Buffer | null;
  }> = [];
  for (const r of rows) {
    if (r.index_version === job.target_version) continue;
    let phone: string | null = null;
    let email: string | null = null;
    if (r.key_wrapped) {
      const key = await d.keyring.openContactKey(job.tenant_id, r.id, r.key_version, r.key_wrapped);
      const fields = d.codec.decrypt(tenant, key, {
        ...emptyRow,
        id: r.id,
        phone_ct: r.phone_ct,
        email_ct: r.email_ct,
      });
      phone = fields.phone;
      email = fields.email;
    }
    const idx = phone ? await d.codec.phoneIndexes(tenant, phone, job.target_version) : null;
    updates.push({
      id: r.id,
      set: {
        phone_bidx: idx?.full ?? null,
        phone_last4_bidx: idx?.last4 ?? null,
        email_bidx: email ? await d.codec.emailIndex(tenant, email, job.target_version) : null,
      },
      phone: r.phone_ct,
      email: r.email_ct,
    });
  }
  const cursor = rows.at(-1)!.id;
  await d.db.transaction().execute(async (trx) => {
    for (const u of updates) {
      let q = trx
        .updateTable('contacts')
        .set({ ...u.set, index_version: job.target_version })
        .where('tenant_id', '=', job.tenant_id)
        .where('id', '=', u.id);
      q = u.phone ? q.where('phone_ct', '=', u.phone) : q.where('phone_ct', 'is', null);
      q = u.email ? q.where('email_ct', '=', u.email) : q.where('email_ct', 'is', null);
      await q.execute();
    }
    await advance(trx, job, cursor, rows.length, d);
  });
  return { seen: rows.length, changed: updates.length, cursor };
}

/** The columns `codec.decrypt` looks at besides phone and e-mail (not needed here). */
const emptyRow = {
  tenant_id: '',
  user_key: null,
  wa_key: null,
  key_version: 0,
  key_wrapped: null,
  phone_bidx: null,
  phone_last4_bidx: null,
  name_ct: null,
  email_bidx: null,
  attributes_ct: null,
  tags: '[]',
  created_at: '',
  updated_at: '',
};

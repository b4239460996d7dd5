import { sql, type ExpressionBuilder } from 'kysely';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Database, Db } from '../../db/database.ts';
import type { ContactCodec } from '../contacts/contact-codec.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import { campaignDb, type CampaignTables } from './campaigns.table.ts';
import { segmentDefinition, segmentInput, type SegmentDefinition } from './campaigns.schema.ts';
import { countryOfPhone } from './countries.ts';
import { countriesSpeaking } from './languages.ts';

type Eb = ExpressionBuilder<Database & CampaignTables & { c: Database['contacts'] }, 'c'>;
const DAY = 86_400_000;
const likeTag = (tag: string) => `%${JSON.stringify(tag).replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

/**
 * Segments: who a campaign may reach, computed from plain columns only — marketing consent state,
 * staff tags, last inbound time and the country stored when the phone was written (languages come
 * from the country) — never from decrypted personal data. Callers get counts, never member lists.
 */
export function createSegments(deps: {
  db: Db;
  keyring: Pick<Keyring, 'openContactKey'>;
  codec: Pick<ContactCodec, 'decryptPhone'>;
  tenants: Pick<TenantService, 'getById'>;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
}) {
  const db = campaignDb(deps.db);

  /**
   * Legacy backfill, for customers written before migration 0024 only: every phone write since stores
   * the country in its own transaction, so in normal operation this finds no row, opens nothing and
   * writes nothing. A legacy customer's phone is opened once, in memory, by the system (one
   * `sensitive_read` audit entry per batch, counts only). Returns how many countries were added.
   */
  async function refreshCountries(tenantId: string): Promise<number> {
    let added = 0;
    for (;;) {
      const rows = await db
        .selectFrom('contacts as c')
        .select(['c.id', 'c.key_version', 'c.key_wrapped', 'c.phone_ct'])
        .where('c.tenant_id', '=', tenantId)
        .where('c.key_wrapped', 'is not', null)
        .where('c.country', 'is', null)
        .limit(500)
        .execute();
      if (rows.length === 0) return added;
      const tenant = await deps.tenants.getById(tenantId);
      const values: { id: string; country: string }[] = [];
      let opened = 0;
      for (const r of rows) {
        let country = 'ZZ';
        if (r.key_wrapped && r.phone_ct) {
          const key = await deps.keyring.openContactKey(tenantId, r.id, r.key_version, r.key_wrapped);
          const phone = deps.codec.decryptPhone(tenant, key, r);
          opened++;
          if (phone) country = countryOfPhone(phone);
        }
        values.push({ id: r.id, country });
      }
      await deps.db.transaction().execute(async (trx) => {
        for (const v of values)
          await campaignDb(trx)
            .updateTable('contacts')
            .set({ country: v.country })
            .where('tenant_id', '=', tenantId)
            .where('id', '=', v.id)
            .where('country', 'is', null)
            .execute();
        if (opened > 0)
          await deps.audit.append(trx, {
            tenantId,
            actor: { type: 'system', id: 'campaigns' },
            action: 'sensitive_read',
            target: { type: 'contact_country', id: tenantId },
            outcome: 'success',
            detail: { derived: 'country from phone calling code (legacy backfill)', contacts: opened },
          });
      });
      added += values.length;
    }
  }

  /** The segment as one WHERE over `contacts as c` (opted in to marketing, not erased). */
  function filter(tenantId: string, stored: SegmentDefinition) {
    // Definitions stored before a filter existed (JSON in `segments` / `campaigns`) get its default.
    const def = segmentDefinition.parse(stored);
    const now = deps.clock.now().getTime();
    return (eb: Eb) => {
      const parts = [
        eb('c.tenant_id', '=', tenantId),
        eb('c.key_wrapped', 'is not', null),
        eb.exists(
          eb
            .selectFrom('consent_state as s')
            .select('s.contact_id')
            .whereRef('s.contact_id', '=', 'c.id')
            .where('s.purpose', '=', 'marketing')
            .where('s.state', '=', 'opted_in'),
        ),
      ];
      const tag = (t: string) => sql<boolean>`${sql.ref('c.tags')} like ${likeTag(t)} escape ${'\\'}`;
      for (const t of def.tagsAll) parts.push(eb.and([tag(t)]));
      if (def.tagsAny.length > 0) parts.push(eb.or(def.tagsAny.map(tag)));
      for (const t of def.tagsNone) parts.push(eb.not(tag(t)));
      const inCountries = (countries: readonly string[]) =>
        countries.length === 0 ? eb.and([sql<boolean>`1 = 0`]) : eb('c.country', 'in', countries);
      if (def.countries.length > 0) parts.push(inCountries(def.countries));
      // A language is matched through the stored country: the countries where it is spoken.
      if (def.languages.length > 0) parts.push(inCountries(countriesSpeaking(def.languages)));
      const inboundSince = (cutoff: string) =>
        eb.exists(
          eb
            .selectFrom('conversations as v')
            .select('v.contact_id')
            .whereRef('v.contact_id', '=', 'c.id')
            .where('v.last_inbound_at', '>=', cutoff),
        );
      if (def.activeWithinDays !== undefined)
        parts.push(inboundSince(new Date(now - def.activeWithinDays * DAY).toISOString()));
      if (def.inactiveForDays !== undefined)
        parts.push(eb.not(inboundSince(new Date(now - def.inactiveForDays * DAY).toISOString())));
      return eb.and(parts);
    };
  }

  return {
    refreshCountries,
    filter,

    /** How many customers the segment holds right now (the preview before sending). */
    async count(tenantId: string, stored: SegmentDefinition): Promise<number> {
      const def = segmentDefinition.parse(stored);
      // Only legacy customers (written before 0024) can lack a country; a no-op otherwise.
      if (def.countries.length > 0 || def.languages.length > 0) await refreshCountries(tenantId);
      const row = await db
        .selectFrom('contacts as c')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where(filter(tenantId, def))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** Writes one `queued` recipient row per member (ids only); a repeat adds nobody twice. */
    async enqueue(trx: Db, tenantId: string, campaignId: string, def: SegmentDefinition): Promise<void> {
      const now = deps.clock.now().toISOString();
      await campaignDb(trx)
        .insertInto('campaign_recipients')
        .columns([
          'id',
          'campaign_id',
          'contact_id',
          'tenant_id',
          'country',
          'status',
          'next_at',
          'attempts',
          'updated_at',
        ])
        .expression((eb) =>
          eb
            .selectFrom('contacts as c')
            .select([
              sql<string>`${campaignId} || ':' || ${sql.ref('c.id')}`.as('id'),
              sql<string>`${campaignId}`.as('campaign_id'),
              'c.id as contact_id',
              'c.tenant_id',
              sql<string>`coalesce(${sql.ref('c.country')}, 'ZZ')`.as('country'),
              sql<string>`'queued'`.as('status'),
              sql<string>`${now}`.as('next_at'),
              sql<number>`0`.as('attempts'),
              sql<string>`${now}`.as('updated_at'),
            ])
            .where(filter(tenantId, def) as never),
        )
        .onConflict((oc) => oc.columns(['campaign_id', 'contact_id']).doNothing())
        .execute();
    },

    async save(tenantId: string, input: unknown, actorId: string) {
      const { name, definition } = parseInput(segmentInput, input);
      const id = newId('sg');
      await db
        .insertInto('segments')
        .values({
          id,
          tenant_id: tenantId,
          name,
          definition: JSON.stringify(definition),
          created_by: actorId,
          created_at: deps.clock.now().toISOString(),
        })
        .execute();
      return { id, name, definition };
    },

    async list(tenantId: string) {
      const rows = await db
        .selectFrom('segments')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('name')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        definition: segmentDefinition.parse(JSON.parse(r.definition)),
      }));
    },
  };
}

export type Segments = ReturnType<typeof createSegments>;

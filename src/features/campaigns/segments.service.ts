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
import { segmentInput, type SegmentDefinition } from './campaigns.schema.ts';
import { countryOfPhone } from './countries.ts';

type Eb = ExpressionBuilder<Database & CampaignTables & { c: Database['contacts'] }, 'c'>;
const DAY = 86_400_000;
const likeTag = (tag: string) => `%${JSON.stringify(tag).replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

/**
 * Segments: who a campaign may reach, computed from plain columns only — marketing consent state,
 * staff tags, last inbound time and the derived country — never from decrypted personal data. Callers
 * get counts, never member lists. `refreshCountries` is the one step that opens a phone number: a
 * system pass, in memory, that stores only the ISO country of each new customer.
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

  /** Stores the country of every customer who has none yet; returns how many were added. */
  async function refreshCountries(tenantId: string): Promise<number> {
    const tenant = await deps.tenants.getById(tenantId);
    let added = 0;
    for (;;) {
      const rows = await db
        .selectFrom('contacts as c')
        .leftJoin('contact_countries as cc', 'cc.contact_id', 'c.id')
        .select(['c.id', 'c.key_version', 'c.key_wrapped', 'c.phone_ct'])
        .where('c.tenant_id', '=', tenantId)
        .where('cc.contact_id', 'is', null)
        .limit(500)
        .execute();
      if (rows.length === 0) return added;
      const values: { contact_id: string; tenant_id: string; country: string }[] = [];
      for (const r of rows) {
        let country = 'ZZ';
        if (r.key_wrapped && r.phone_ct) {
          const key = await deps.keyring.openContactKey(tenantId, r.id, r.key_version, r.key_wrapped);
          const phone = deps.codec.decryptPhone(tenant, key, r);
          if (phone) country = countryOfPhone(phone);
        }
        values.push({ contact_id: r.id, tenant_id: tenantId, country });
      }
      // The phones were opened in memory by the system: one audit entry per batch, counts only.
      await deps.db.transaction().execute(async (trx) => {
        await campaignDb(trx)
          .insertInto('contact_countries')
          .values(values)
          .onConflict((oc) => oc.column('contact_id').doNothing())
          .execute();
        await deps.audit.append(trx, {
          tenantId,
          actor: { type: 'system', id: 'campaigns' },
          action: 'sensitive_read',
          target: { type: 'contact_countries', id: tenantId },
          outcome: 'success',
          detail: { derived: 'country from phone calling code', contacts: values.length },
        });
      });
      added += values.length;
    }
  }

  /** The segment as one WHERE over `contacts as c` (opted in to marketing, not erased). */
  function filter(tenantId: string, def: SegmentDefinition) {
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
      if (def.countries.length > 0)
        parts.push(
          eb.exists(
            eb
              .selectFrom('contact_countries as k')
              .select('k.contact_id')
              .whereRef('k.contact_id', '=', 'c.id')
              .where('k.country', 'in', def.countries),
          ),
        );
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
    async count(tenantId: string, def: SegmentDefinition): Promise<number> {
      if (def.countries.length > 0) await refreshCountries(tenantId);
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
            .leftJoin('contact_countries as cc', 'cc.contact_id', 'c.id')
            .select([
              sql<string>`${campaignId} || ':' || ${sql.ref('c.id')}`.as('id'),
              sql<string>`${campaignId}`.as('campaign_id'),
              'c.id as contact_id',
              'c.tenant_id',
              sql<string>`coalesce(${sql.ref('cc.country')}, 'ZZ')`.as('country'),
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
        definition: JSON.parse(r.definition) as SegmentDefinition,
      }));
    },
  };
}

export type Segments = ReturnType<typeof createSegments>;

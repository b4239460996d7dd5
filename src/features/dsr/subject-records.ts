import { keyVersionOf, associatedData, open, type AeadKey } from '../../lib/crypto/aead.ts';
import type { Db } from '../../db/database.ts';
import { campaignDb } from '../campaigns/campaigns.table.ts';
import { incidentDb } from '../incidents/incidents.table.ts';

/** One marketing/utility campaign message sent (or attempted) to the customer. */
export interface CampaignSendJson {
  readonly campaign: string;
  readonly template: { readonly name: string; readonly language: string };
  readonly status: string;
  readonly errorCode: number | null;
  readonly sentAt: string | null;
  readonly updatedAt: string;
}

/** One breach notice sent to the customer (the reference is the one quoted in the notice). */
export interface IncidentNoticeJson {
  readonly reference: string;
  readonly sentAt: string;
  readonly language: string;
  readonly channel: string;
  readonly messageId: string | null;
  readonly deliveryStatus: string | null;
}

/**
 * One access to the customer's data. Staff appear by role and a pseudonym that is stable within this
 * archive only (`staff-1`, …): who did what, when and why, without handing out colleagues' identities.
 */
export interface AccessLogJson {
  readonly at: string;
  readonly action: string;
  readonly outcome: string;
  readonly by: { readonly type: string; readonly role: string | null; readonly pseudonym: string };
  readonly target: string;
  readonly fields: readonly string[];
  readonly via: string | null;
  readonly reason: string | null;
}

/** The customer's campaign sends, oldest first (campaign and template names are the business's). */
export async function campaignSends(
  db: Db,
  tenantId: string,
  contactId: string,
): Promise<CampaignSendJson[]> {
  const rows = await campaignDb(db)
    .selectFrom('campaign_recipients as r')
    .innerJoin('campaigns as c', 'c.id', 'r.campaign_id')
    .select([
      'c.name as name',
      'c.template_name as templateName',
      'c.template_language as templateLanguage',
      'r.status as status',
      'r.error_code as errorCode',
      'r.sent_at as sentAt',
      'r.updated_at as updatedAt',
    ])
    .where('r.tenant_id', '=', tenantId)
    .where('c.tenant_id', '=', tenantId)
    .where('r.contact_id', '=', contactId)
    .orderBy('r.updated_at')
    .execute();
  return rows.map((r) => ({
    campaign: r.name,
    template: { name: r.templateName, language: r.templateLanguage },
    status: r.status,
    errorCode: r.errorCode === null ? null : Number(r.errorCode),
    sentAt: r.sentAt,
    updatedAt: r.updatedAt,
  }));
}

/** The breach notices sent to the customer, with each message's current delivery state. */
export async function incidentNotices(
  db: Db,
  tenantId: string,
  contactId: string,
): Promise<IncidentNoticeJson[]> {
  const rows = await incidentDb(db)
    .selectFrom('incident_notices as n')
    .leftJoin('messages as m', 'm.id', 'n.message_id')
    .select([
      'n.incident_id as reference',
      'n.created_at as sentAt',
      'n.language as language',
      'n.channel as channel',
      'n.message_id as messageId',
      'm.status as status',
    ])
    .where('n.tenant_id', '=', tenantId)
    .where('n.contact_id', '=', contactId)
    .orderBy('n.created_at')
    .execute();
  return rows.map((r) => ({
    reference: r.reference,
    sentAt: r.sentAt,
    language: r.language,
    channel: r.channel,
    messageId: r.messageId,
    deliveryStatus: r.status ?? null,
  }));
}

/** What of an entry's sealed detail the customer is shown: the fields touched and the channel. */
function shownDetail(detail: unknown): { fields: string[]; via: string | null } {
  if (typeof detail !== 'object' || detail === null) return { fields: [], via: null };
  const d = detail as { fields?: unknown; via?: unknown };
  const fields = Array.isArray(d.fields) ? d.fields.filter((x): x is string => typeof x === 'string') : [];
  return { fields, via: typeof d.via === 'string' ? d.via : null };
}

/**
 * The access log about the customer: audit entries whose subject is the customer (their reason and
 * detail are sealed under the customer's key, so they are opened here) and entries that target the
 * customer without a subject (shown without reason or detail: those are sealed under the tenant
 * `restricted` key, not the customer's). Operator ids, client IPs, request ids and policy ids stay out.
 * Chained entries only (the sequencer chains within a second), read through the subject and target
 * indexes.
 * A ciphertext under a key version no longer held (e.g. a retired legacy key) is shown as null.
 */
export async function accessLog(
  db: Db,
  tenantId: string,
  contactId: string,
  keyFor: (version: number) => Promise<AeadKey>,
): Promise<AccessLogJson[]> {
  const rows = await db
    .selectFrom('audit_entries')
    .select([
      'id',
      'time',
      'action',
      'outcome',
      'actor_type',
      'actor_id',
      'target_type',
      'subject_id',
      'reason_ct',
      'detail_ct',
    ])
    .where('tenant_id', '=', tenantId)
    .where('seq', 'is not', null)
    .where((eb) =>
      eb.or([
        eb('subject_id', '=', contactId),
        eb.and([eb('target_type', '=', 'contact'), eb('target_id', '=', contactId)]),
      ]),
    )
    .orderBy('seq')
    .execute();
  const operatorIds = [...new Set(rows.filter((r) => r.actor_type === 'operator').map((r) => r.actor_id))];
  const roles = new Map(
    operatorIds.length === 0
      ? []
      : (
          await db
            .selectFrom('operators')
            .select(['id', 'role'])
            .where('tenant_id', '=', tenantId)
            .where('id', 'in', operatorIds)
            .execute()
        ).map((o) => [o.id, o.role as string]),
  );
  const pseudonyms = new Map<string, string>();
  const perType = new Map<string, number>();
  const pseudonymOf = (type: string, id: string): string => {
    if (type === 'system') return 'system';
    const key = `${type}:${id}`;
    let p = pseudonyms.get(key);
    if (!p) {
      const n = (perType.get(type) ?? 0) + 1;
      perType.set(type, n);
      p = `${type === 'operator' ? 'staff' : type}-${n}`;
      pseudonyms.set(key, p);
    }
    return p;
  };
  const openOwn = async (ct: Buffer | null, column: string, id: string): Promise<string | null> => {
    if (ct === null) return null;
    try {
      const key = await keyFor(keyVersionOf(ct));
      return open(key, ct, associatedData(tenantId, 'audit_entries', column, id)).toString('utf8');
    } catch {
      return null;
    }
  };
  const out: AccessLogJson[] = [];
  for (const r of rows) {
    const own = r.subject_id === contactId;
    const detailText = own ? await openOwn(r.detail_ct, 'detail', r.id) : null;
    const { fields, via } = shownDetail(detailText === null ? null : (JSON.parse(detailText) as unknown));
    out.push({
      at: r.time,
      action: r.action,
      outcome: r.outcome,
      by: {
        type: r.actor_type,
        role: r.actor_type === 'operator' ? (roles.get(r.actor_id) ?? null) : null,
        pseudonym: pseudonymOf(r.actor_type, r.actor_id),
      },
      target: r.target_type,
      fields,
      via,
      reason: own ? await openOwn(r.reason_ct, 'reason', r.id) : null,
    });
  }
  return out;
}

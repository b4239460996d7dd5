import { createHash } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Vault } from '../vault/vault.ts';
import { blastRadiusQuery, type BlastRadiusQuery } from './incidents.schema.ts';

const PERSONAL = ['sensitive_read', 'sensitive_export'] as const;

export interface AffectedCustomer {
  readonly contactId: string;
  /** Audit entries that read or exported this customer's data. */
  readonly records: number;
  /** Fields read, from the encrypted entry details; null when the vault is sealed. */
  readonly fields: string[] | null;
  readonly actions: string[];
  readonly first: string;
  readonly last: string;
}

export interface BlastRadius {
  readonly tenantId: string;
  readonly query: Record<string, string>;
  /** The last chained entry the answer covers: the same query up to this seq gives the same answer. */
  readonly throughSeq: number;
  readonly customers: AffectedCustomer[];
  readonly totals: { readonly customers: number; readonly records: number; readonly fields: string[] };
  /** SHA-256 of the canonical JSON of query, throughSeq and customers. */
  readonly digest: string;
}

/**
 * Blast radius, from the audit log alone: which customers' personal data the actor (operator or API
 * key, an address, one sign-in session, or one request) read or exported in a time range, which fields, how many records.
 * Only chained entries count, so the answer is reproducible up to `throughSeq`.
 */
export function createBlastRadius(deps: {
  db: Db;
  keyring: Pick<Keyring, 'contactKey'>;
  vault: Pick<Vault, 'openText'>;
  isSealed: () => boolean;
}) {
  async function fieldsOf(tenantId: string, contactId: string, entryId: string, ct: Buffer | null) {
    if (!ct) return [];
    // Byte 0 is the format, bytes 1..4 the key version the detail was sealed under.
    const version = Buffer.from(ct).readUInt32BE(1);
    const key = await deps.keyring.contactKey(tenantId, contactId, version);
    const detail = JSON.parse(
      deps.vault.openText(key, { tenantId, table: 'audit_entries', column: 'detail', rowId: entryId }, ct),
    ) as { fields?: unknown };
    return Array.isArray(detail.fields)
      ? detail.fields.filter((f): f is string => typeof f === 'string')
      : [];
  }

  return {
    async compute(tenantId: string, input: BlastRadiusQuery, throughSeq?: number): Promise<BlastRadius> {
      const q = parseInput(blastRadiusQuery, input);
      let s = deps.db
        .selectFrom('audit_entries')
        .select(['id', 'seq', 'time', 'action', 'target_type', 'target_id', 'subject_id', 'detail_ct'])
        .where('tenant_id', '=', tenantId)
        .where('action', 'in', [...PERSONAL])
        .where('outcome', '=', 'success')
        .where('seq', 'is not', null)
        .where('time', '>=', q.from)
        .where('time', '<=', q.to);
      if (q.actorType) s = s.where('actor_type', '=', q.actorType);
      if (q.actorId) s = s.where('actor_id', '=', q.actorId);
      if (q.clientIp) s = s.where('client_ip', '=', q.clientIp);
      if (q.requestId) s = s.where('request_id', '=', q.requestId);
      if (q.sessionId) s = s.where('session_id', '=', q.sessionId);
      if (throughSeq !== undefined) s = s.where('seq', '<=', throughSeq);
      const rows = await s.orderBy('seq').execute();
      const sealed = deps.isSealed();
      const byContact = new Map<
        string,
        { records: number; fields: Set<string>; actions: Set<string>; first: string; last: string }
      >();
      for (const r of rows) {
        const contactId = r.target_type === 'contact' ? r.target_id : r.subject_id;
        if (!contactId) continue;
        const c = byContact.get(contactId) ?? {
          records: 0,
          fields: new Set(),
          actions: new Set(),
          first: r.time,
          last: r.time,
        };
        c.records++;
        c.actions.add(r.action);
        if (r.time < c.first) c.first = r.time;
        if (r.time > c.last) c.last = r.time;
        if (!sealed && r.subject_id === contactId) {
          try {
            for (const f of await fieldsOf(tenantId, contactId, r.id, r.detail_ct)) c.fields.add(f);
          } catch {
            // An erased customer's key is gone: the entry still counts, its fields are unknown.
          }
        }
        byContact.set(contactId, c);
      }
      const customers: AffectedCustomer[] = [...byContact]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([contactId, c]) => ({
          contactId,
          records: c.records,
          fields: sealed ? null : [...c.fields].sort(),
          actions: [...c.actions].sort(),
          first: c.first,
          last: c.last,
        }));
      const through = throughSeq ?? (rows.length > 0 ? Number(rows.at(-1)!.seq) : -1);
      const query = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >;
      const digest = createHash('sha256')
        .update(JSON.stringify({ tenantId, query, throughSeq: through, customers }))
        .digest('hex');
      const fields = [...new Set(customers.flatMap((c) => c.fields ?? []))].sort();
      return {
        tenantId,
        query,
        throughSeq: through,
        customers,
        totals: {
          customers: customers.length,
          records: customers.reduce((n, c) => n + c.records, 0),
          fields,
        },
        digest,
      };
    },
  };
}

/** CSV export: one row per customer (ids, counts and field names only). */
export function blastRadiusCsv(b: BlastRadius): string {
  const lines = ['contact_id,records,fields,actions,first,last'];
  const cell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  for (const c of b.customers)
    lines.push(
      [
        c.contactId,
        String(c.records),
        (c.fields ?? ['unknown (sealed)']).join(' '),
        c.actions.join(' '),
        c.first,
        c.last,
      ]
        .map(cell)
        .join(','),
    );
  return `${lines.join('\n')}\n`;
}

export type BlastRadiusService = ReturnType<typeof createBlastRadius>;

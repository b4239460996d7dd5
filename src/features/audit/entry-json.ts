import type { AuditEntriesTable } from './audit.table.ts';
import type { ChainedEntry } from './chain.ts';

/**
 * An audit entry as auditors, the API and SIEM exports see it: ids and ciphertexts only (base64),
 * never plaintext. Together with the previous entry's hash it is enough to recompute the chain.
 */
export interface AuditEntryJson {
  readonly seq: number;
  readonly id: string;
  readonly tenantId: string;
  readonly time: string;
  readonly actor: { readonly type: string; readonly id: string };
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string };
  readonly outcome: string;
  readonly reasonCt: string | null;
  readonly detailCt: string | null;
  readonly subjectId: string | null;
  readonly policyIds: string[];
  readonly clientIp: string | null;
  readonly requestId: string | null;
  /** The public id of the sign-in session the entry was written in; null outside one. */
  readonly sessionId: string | null;
  /** hash_seq (hex), as stored: recompute it, do not trust it. */
  readonly hash: string | null;
}

export function entryToJson(row: AuditEntriesTable): AuditEntryJson {
  return {
    seq: Number(row.seq),
    id: row.id,
    tenantId: row.tenant_id,
    time: row.time,
    actor: { type: row.actor_type, id: row.actor_id },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    outcome: row.outcome,
    reasonCt: row.reason_ct ? Buffer.from(row.reason_ct).toString('base64') : null,
    detailCt: row.detail_ct ? Buffer.from(row.detail_ct).toString('base64') : null,
    subjectId: row.subject_id,
    policyIds: JSON.parse(row.policy_ids) as string[],
    clientIp: row.client_ip,
    requestId: row.request_id,
    sessionId: row.session_id ?? null,
    hash: row.hash ? Buffer.from(row.hash).toString('hex') : null,
  };
}

/** The chained fields of an exported entry, for recomputing its hash outside ChatVault. */
export function chainedFromJson(e: AuditEntryJson): ChainedEntry {
  return {
    seq: e.seq,
    id: e.id,
    tenantId: e.tenantId,
    time: e.time,
    actorType: e.actor.type,
    actorId: e.actor.id,
    action: e.action,
    targetType: e.target.type,
    targetId: e.target.id,
    outcome: e.outcome,
    reasonCt: e.reasonCt === null ? null : Buffer.from(e.reasonCt, 'base64'),
    detailCt: e.detailCt === null ? null : Buffer.from(e.detailCt, 'base64'),
    subjectId: e.subjectId,
    policyIds: JSON.stringify(e.policyIds),
    clientIp: e.clientIp,
    requestId: e.requestId,
    sessionId: e.sessionId ?? null,
  };
}

import type { AuditService } from '../audit/audit.service.ts';
import type { AuditEntryJson } from '../audit/entry-json.ts';
import type { ApiKeyService } from '../api-keys/api-keys.service.ts';
import type { VendorService } from './vendors.service.ts';

export interface AccessReportRow {
  readonly time: string;
  readonly keyId: string;
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string;
  readonly outcome: string;
  readonly clientIp: string | null;
  readonly requestId: string | null;
}

export interface AccessReport {
  readonly vendor: { readonly id: string; readonly name: string };
  readonly from: string;
  readonly to: string;
  readonly keys: readonly string[];
  readonly summary: {
    readonly reads: number;
    readonly writes: number;
    readonly denied: number;
    readonly contactsRead: number;
    readonly contactsWritten: number;
  };
  readonly entries: readonly AccessReportRow[];
}

const CSV_COLUMNS = [
  'time',
  'keyId',
  'action',
  'targetType',
  'targetId',
  'outcome',
  'clientIp',
  'requestId',
] as const;
const MAX_ENTRIES = 200_000;

/**
 * What a vendor's keys read and wrote in a period, from the audit log (actor `api_key`, chained
 * entries only): ids and outcomes, never personal data, for the periodic vendor audit.
 */
export function createVendorReports(deps: {
  vendors: Pick<VendorService, 'get'>;
  apiKeys: Pick<ApiKeyService, 'list'>;
  audit: Pick<AuditService, 'query' | 'sequence'>;
}) {
  return {
    async report(
      tenantId: string,
      vendorId: string,
      period: { from: string; to: string },
    ): Promise<AccessReport> {
      const vendor = await deps.vendors.get(tenantId, vendorId);
      const keys = (await deps.apiKeys.list(tenantId, vendorId)).map((k) => k.id);
      await deps.audit.sequence();
      const entries: AuditEntryJson[] = [];
      for (const keyId of keys) {
        let cursor: number | undefined;
        do {
          const page = await deps.audit.query(tenantId, {
            actorType: 'api_key',
            actorId: keyId,
            from: period.from,
            to: period.to,
            order: 'asc',
            limit: 500,
            ...(cursor !== undefined ? { cursor } : {}),
          });
          entries.push(...page.entries);
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined && entries.length < MAX_ENTRIES);
      }
      entries.sort((a, b) => a.seq - b.seq);
      const ok = entries.filter((e) => e.outcome === 'success');
      const contacts = (action: string) =>
        new Set(ok.filter((e) => e.action === action && e.target.type === 'contact').map((e) => e.target.id))
          .size;
      return {
        vendor: { id: vendor.id, name: vendor.name },
        from: period.from,
        to: period.to,
        keys,
        summary: {
          reads: ok.filter((e) => e.action === 'sensitive_read').length,
          writes: ok.filter((e) => e.action === 'sensitive_update').length,
          denied: entries.filter((e) => e.outcome === 'denied').length,
          contactsRead: contacts('sensitive_read'),
          contactsWritten: contacts('sensitive_update'),
        },
        entries: entries.map((e) => ({
          time: e.time,
          keyId: e.actor.id,
          action: e.action,
          targetType: e.target.type,
          targetId: e.target.id,
          outcome: e.outcome,
          clientIp: e.clientIp,
          requestId: e.requestId,
        })),
      };
    },
  };
}

/** The report's entries as CSV (RFC 4180 quoting; ids and codes only). */
export function reportCsv(report: AccessReport): string {
  const quote = (v: string | null) => {
    const s = v ?? '';
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of report.entries) lines.push(CSV_COLUMNS.map((c) => quote(e[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export type VendorReports = ReturnType<typeof createVendorReports>;

import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { NotFoundError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import { detectionDb, type DetectionAlertsTable } from './detection.table.ts';

export interface AlertJson {
  readonly id: string;
  readonly rule: string;
  readonly severity: string;
  readonly actor: { readonly type: string; readonly id: string } | null;
  readonly summary: string;
  readonly detail: Record<string, unknown>;
  readonly seqs: { readonly first: number | null; readonly last: number | null };
  readonly eventAt: string;
  readonly createdAt: string;
  readonly status: string;
  readonly incidentId: string | null;
  readonly delivery: { readonly email: string; readonly webhook: string };
}

export function alertToJson(r: DetectionAlertsTable): AlertJson {
  return {
    id: r.id,
    rule: r.rule,
    severity: r.severity,
    actor: r.actor_type && r.actor_id ? { type: r.actor_type, id: r.actor_id } : null,
    summary: r.summary,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    seqs: {
      first: r.first_seq === null ? null : Number(r.first_seq),
      last: r.last_seq === null ? null : Number(r.last_seq),
    },
    eventAt: r.event_at,
    createdAt: r.created_at,
    status: r.status,
    incidentId: r.incident_id,
    delivery: { email: r.email_status, webhook: r.webhook_status },
  };
}

export const alertQuery = z
  .object({
    severity: z.enum(['info', 'low', 'medium', 'high', 'critical']).optional(),
    rule: z.string().max(64).optional(),
    status: z.enum(['open', 'acknowledged']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

/** The console's view of alerts: list, acknowledge, and a live feed of new ones (for SSE). */
export function createAlerts(deps: { db: Db }) {
  const db = detectionDb(deps.db);
  const live = new EventEmitter();
  live.setMaxListeners(1000);

  return {
    live,

    publish(rows: readonly DetectionAlertsTable[]): void {
      for (const r of rows) live.emit(r.tenant_id, alertToJson(r));
    },

    async list(tenantId: string, query: unknown = {}): Promise<AlertJson[]> {
      const q = parseInput(alertQuery, query);
      let s = db.selectFrom('detection_alerts').selectAll().where('tenant_id', '=', tenantId);
      if (q.severity) s = s.where('severity', '=', q.severity);
      if (q.rule) s = s.where('rule', '=', q.rule);
      if (q.status) s = s.where('status', '=', q.status);
      const rows = await s.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
      return rows.map(alertToJson);
    },

    async get(tenantId: string, id: string): Promise<AlertJson> {
      const row = await db
        .selectFrom('detection_alerts')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) throw new NotFoundError('Alert');
      return alertToJson(row);
    },

    async acknowledge(tenantId: string, id: string): Promise<void> {
      const r = await db
        .updateTable('detection_alerts')
        .set({ status: 'acknowledged' })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw new NotFoundError('Alert');
    },
  };
}

export type Alerts = ReturnType<typeof createAlerts>;

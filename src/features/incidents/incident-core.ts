import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { AuditActor } from '../audit/audit.schema.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { DetectionAlertsTable } from '../detection/detection.table.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Vault } from '../vault/vault.ts';
import {
  noteInput,
  openIncidentInput,
  reviewInput,
  transitionInput,
  type Review,
} from './incidents.schema.ts';
import { INCIDENT_STATES, incidentDb, type IncidentState, type IncidentsTable } from './incidents.table.ts';

/** Who acts on an incident: the audit actor, where from, and when their second factor was verified. */
export interface Responder {
  readonly actor: AuditActor;
  readonly clientIp?: string;
  readonly requestId?: string;
  readonly mfaVerifiedAt?: string;
}

export const DETECTION_RESPONDER: Responder = { actor: { type: 'system', id: 'detection' } };

export interface IncidentJson {
  readonly id: string;
  readonly title: string;
  readonly severity: string;
  readonly state: IncidentState;
  readonly openedBy: string;
  readonly alertId: string | null;
  readonly suspect: { readonly type: string; readonly id: string } | null;
  readonly window: { readonly from: string | null; readonly to: string | null };
  readonly awareAt: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly closedAt: string | null;
  readonly hasReview: boolean;
}

export interface TimelineEntry {
  readonly id: string;
  readonly at: string;
  readonly actor: string;
  readonly kind: string;
  readonly detail: Record<string, unknown>;
  readonly note?: string;
}

export function incidentToJson(r: IncidentsTable): IncidentJson {
  return {
    id: r.id,
    title: r.title,
    severity: r.severity,
    state: r.state,
    openedBy: r.opened_by,
    alertId: r.alert_id,
    suspect: r.suspect_type && r.suspect_id ? { type: r.suspect_type, id: r.suspect_id } : null,
    window: { from: r.window_from, to: r.window_to },
    awareAt: r.aware_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    closedAt: r.closed_at,
    hasReview: r.review !== null,
  };
}

const actorName = (r: Responder) => `${r.actor.type}:${r.actor.id}`;

/**
 * Incidents: opened by critical alerts or by hand, moved forward through the NIST states, with a
 * timeline of every action and note. Every change is audited (`incident_change`) in the same
 * transaction; closing requires the post-incident review.
 */
export function createIncidentCore(deps: {
  db: Db;
  clock: Clock;
  audit: Pick<AuditService, 'append'>;
  keyring: Pick<Keyring, 'tenantKey'>;
  vault: Pick<Vault, 'seal' | 'openText'>;
  isSealed: () => boolean;
}) {
  const now = () => deps.clock.now().toISOString();

  async function load(db: Db, tenantId: string, id: string): Promise<IncidentsTable> {
    const row = await incidentDb(db)
      .selectFrom('incidents')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Incident');
    return row;
  }

  /** Appends a timeline entry and its audit entry inside `trx`. */
  async function record(
    trx: Db,
    tenantId: string,
    incidentId: string,
    who: Responder,
    kind: string,
    detail: Record<string, unknown> = {},
    noteCt: Buffer | null = null,
    action: 'incident_change' | 'incident_playbook' = 'incident_change',
    outcome: 'success' | 'failure' = 'success',
    eventId: string = newId('ie'),
  ): Promise<void> {
    const at = now();
    await incidentDb(trx)
      .insertInto('incident_events')
      .values({
        id: eventId,
        tenant_id: tenantId,
        incident_id: incidentId,
        at,
        actor: actorName(who),
        kind,
        detail: JSON.stringify(detail),
        note_ct: noteCt,
      })
      .execute();
    await deps.audit.append(trx, {
      tenantId,
      actor: who.actor,
      action,
      target: { type: 'incident', id: incidentId },
      outcome,
      // What was done (ids and counts), sealed under the tenant `restricted` key; while the vault is
      // sealed (incident response goes on) only the timeline row carries it.
      ...(deps.isSealed() ? {} : { detail: { kind, ...detail } }),
      ...(who.clientIp ? { clientIp: who.clientIp } : {}),
      ...(who.requestId ? { requestId: who.requestId } : {}),
    });
    await incidentDb(trx)
      .updateTable('incidents')
      .set({ updated_at: at })
      .where('id', '=', incidentId)
      .execute();
  }

  async function insert(
    trx: Db,
    tenantId: string,
    who: Responder,
    fields: Pick<
      IncidentsTable,
      'title' | 'severity' | 'alert_id' | 'suspect_type' | 'suspect_id' | 'window_from' | 'window_to'
    >,
  ): Promise<string> {
    const id = newId('in');
    const at = now();
    await incidentDb(trx)
      .insertInto('incidents')
      .values({
        id,
        tenant_id: tenantId,
        ...fields,
        state: 'detected',
        opened_by: actorName(who),
        aware_at: at,
        review: null,
        created_at: at,
        updated_at: at,
        closed_at: null,
      })
      .execute();
    await record(trx, tenantId, id, who, 'opened', { severity: fields.severity, alertId: fields.alert_id });
    return id;
  }

  const sealNote = async (tenantId: string, rowId: string, text: string) =>
    deps.vault.seal(
      await deps.keyring.tenantKey(tenantId, 'restricted'),
      { tenantId, table: 'incident_events', column: 'note', rowId },
      text,
    );

  return {
    load,
    record,

    async open(tenantId: string, input: unknown, who: Responder): Promise<IncidentJson> {
      const v = parseInput(openIncidentInput, input);
      const id = await deps.db.transaction().execute((trx) =>
        insert(trx, tenantId, who, {
          title: v.title,
          severity: v.severity,
          alert_id: null,
          suspect_type: v.suspect?.type ?? null,
          suspect_id: v.suspect?.id ?? null,
          window_from: v.from ?? null,
          window_to: v.to ?? null,
        }),
      );
      return incidentToJson(await load(deps.db, tenantId, id));
    },

    /**
     * Inside the detection transaction: each new critical alert joins the open incident about the
     * same actor, or opens one (awareness = now). Alerts of lower severity only go to the console.
     */
    async openFromAlerts(trx: Db, alerts: readonly DetectionAlertsTable[]): Promise<void> {
      for (const alert of alerts) {
        if (alert.severity !== 'critical') continue;
        const open = alert.actor_id
          ? await incidentDb(trx)
              .selectFrom('incidents')
              .select('id')
              .where('tenant_id', '=', alert.tenant_id)
              .where('suspect_type', '=', alert.actor_type)
              .where('suspect_id', '=', alert.actor_id)
              .where('state', '!=', 'closed')
              .executeTakeFirst()
          : undefined;
        const from = new Date(Date.parse(alert.event_at) - 24 * 3_600_000).toISOString();
        const id =
          open?.id ??
          (await insert(trx, alert.tenant_id, DETECTION_RESPONDER, {
            title: alert.summary.slice(0, 200),
            severity: 'critical',
            alert_id: alert.id,
            suspect_type: alert.actor_type,
            suspect_id: alert.actor_id,
            window_from: from,
            window_to: null,
          }));
        if (open)
          await record(trx, alert.tenant_id, id, DETECTION_RESPONDER, 'alert', {
            alertId: alert.id,
            rule: alert.rule,
          });
        await incidentDb(trx)
          .updateTable('detection_alerts')
          .set({ incident_id: id })
          .where('id', '=', alert.id)
          .execute();
      }
    },

    async list(tenantId: string): Promise<IncidentJson[]> {
      const rows = await incidentDb(deps.db)
        .selectFrom('incidents')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('created_at', 'desc')
        .limit(500)
        .execute();
      return rows.map(incidentToJson);
    },

    async get(tenantId: string, id: string): Promise<IncidentJson> {
      return incidentToJson(await load(deps.db, tenantId, id));
    },

    /** The timeline, oldest first, with notes opened (the caller is allowed to read incidents). */
    async timeline(tenantId: string, id: string): Promise<TimelineEntry[]> {
      await load(deps.db, tenantId, id);
      const rows = await incidentDb(deps.db)
        .selectFrom('incident_events')
        .selectAll()
        .where('incident_id', '=', id)
        .orderBy('id')
        .execute();
      const key = rows.some((r) => r.note_ct)
        ? await deps.keyring.tenantKey(tenantId, 'restricted')
        : undefined;
      return rows.map((r) => ({
        id: r.id,
        at: r.at,
        actor: r.actor,
        kind: r.kind,
        detail: JSON.parse(r.detail) as Record<string, unknown>,
        ...(r.note_ct && key
          ? {
              note: deps.vault.openText(
                key,
                { tenantId, table: 'incident_events', column: 'note', rowId: r.id },
                r.note_ct,
              ),
            }
          : {}),
      }));
    },

    async note(tenantId: string, id: string, input: unknown, who: Responder): Promise<void> {
      const v = parseInput(noteInput, input);
      await load(deps.db, tenantId, id);
      const eventId = newId('ie');
      const ct = await sealNote(tenantId, eventId, v.note);
      await deps.db
        .transaction()
        .execute((trx) =>
          record(trx, tenantId, id, who, 'note', {}, ct, 'incident_change', 'success', eventId),
        );
    },

    /** Moves forward (never back); `closed` only with a review on file. */
    async transition(tenantId: string, id: string, input: unknown, who: Responder): Promise<IncidentJson> {
      const v = parseInput(transitionInput, input);
      await deps.db.transaction().execute(async (trx) => {
        const row = await load(trx, tenantId, id);
        const from = INCIDENT_STATES.indexOf(row.state);
        const to = INCIDENT_STATES.indexOf(v.state);
        if (to <= from) throw new ConflictError(`The incident is already ${row.state}`);
        if (v.state === 'closed' && row.review === null)
          throw new ConflictError('Closing an incident requires the post-incident review');
        await incidentDb(trx)
          .updateTable('incidents')
          .set({ state: v.state, ...(v.state === 'closed' ? { closed_at: now() } : {}) })
          .where('id', '=', id)
          .execute();
        await record(trx, tenantId, id, who, 'state', { from: row.state, to: v.state });
      });
      return incidentToJson(await load(deps.db, tenantId, id));
    },

    /** Files the post-incident review (cause, impact, what worked, actions with owners and dates). */
    async review(tenantId: string, id: string, input: unknown, who: Responder): Promise<void> {
      const v = parseInput(reviewInput, input);
      const row = await load(deps.db, tenantId, id);
      if (row.state === 'closed') throw new ConflictError('The incident is closed');
      const ct = await sealNote(tenantId, `${id}:review`, JSON.stringify(v));
      await deps.db.transaction().execute(async (trx) => {
        await incidentDb(trx)
          .updateTable('incidents')
          .set({ review: ct.toString('base64') })
          .where('id', '=', id)
          .execute();
        await record(trx, tenantId, id, who, 'review', { actions: v.actions.length });
      });
    },

    async readReview(tenantId: string, id: string): Promise<Review | null> {
      const row = await load(deps.db, tenantId, id);
      if (!row.review) return null;
      const key = await deps.keyring.tenantKey(tenantId, 'restricted');
      const text = deps.vault.openText(
        key,
        { tenantId, table: 'incident_events', column: 'note', rowId: `${id}:review` },
        Buffer.from(row.review, 'base64'),
      );
      return reviewInput.parse(JSON.parse(text));
    },

    assertOpen(row: IncidentsTable): void {
      if (row.state === 'closed') throw new ValidationError('The incident is closed');
    },
  };
}

export type IncidentCore = ReturnType<typeof createIncidentCore>;

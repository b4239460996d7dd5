import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Db } from '../../db/database.ts';
import * as repo from './detection.repository.ts';
import type { DetectionAlertsTable } from './detection.table.ts';
import {
  createRuleState,
  networkOf,
  type AlertCandidate,
  type DetectionEvent,
  type RuleState,
} from './rules.ts';
import type { DetectionSettings } from './settings.service.ts';
import type { Thresholds } from './settings.ts';

const HOUR = 3_600_000;
const BASELINE_DAYS = 14;
const CANARY_REFRESH_MS = 10_000;

export interface EngineOptions {
  readonly batchSize: number;
  readonly intervalMs: number;
}

/** Runs inside the transaction that commits new alerts (opens incidents for critical ones). */
export type OnAlerts = (trx: Db, alerts: readonly DetectionAlertsTable[]) => Promise<void>;

interface TenantRun {
  state: RuleState;
  canaries: Set<string>;
  canariesAt: number;
  networks: Map<string, Set<string>>;
}

/**
 * The rule engine: reads each tenant's chained audit entries in `seq` order after a persisted
 * cursor, evaluates the rules, and commits new alerts, learned state and the new cursor in one
 * transaction. A crash before the commit replays the batch (at-least-once); alerts are unique per
 * dedup key, so a replay never doubles one. After a restart the windows are re-primed by replaying
 * the last window's worth of entries before the cursor.
 */
export function createDetectionEngine(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  settings: Pick<DetectionSettings, 'thresholds'>;
  tenantIds: () => Promise<string[]>;
  onAlerts: OnAlerts;
  /** Called after a commit with new alerts (delivery, live console). */
  afterCommit?: (alerts: readonly DetectionAlertsTable[]) => void;
  options?: Partial<EngineOptions>;
}) {
  const { db } = deps;
  const options: EngineOptions = { batchSize: 2000, intervalMs: 250, ...deps.options };
  const tenants = new Map<string, TenantRun>();
  let current: Promise<number> = Promise.resolve(0);
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  function maxWindowMs(t: Thresholds): number {
    return (
      Math.max(
        t.bulk.windowMinutes,
        t.tenantBulk.windowMinutes,
        t.failedLogins.windowMinutes,
        t.spraying.windowMinutes,
        t.mfaFailures.windowMinutes,
        t.webhookSignatures.windowMinutes,
      ) * 60_000
    );
  }

  async function runFor(tenantId: string): Promise<{ run: TenantRun; from: number; cursor: number }> {
    const cursor = await repo.cursorOf(db, tenantId);
    let run = tenants.get(tenantId);
    let from = cursor;
    if (!run) {
      run = { state: createRuleState(tenantId), canaries: new Set(), canariesAt: 0, networks: new Map() };
      tenants.set(tenantId, run);
      if (cursor >= 0) {
        // Re-prime the windows: replay the entries of the last window before the cursor.
        const last = await repo.timeOfSeq(db, tenantId, cursor);
        const thresholds = await deps.settings.thresholds(tenantId);
        if (last) {
          const since = new Date(Date.parse(last) - maxWindowMs(thresholds)).toISOString();
          from = (await repo.firstSeqSince(db, tenantId, since, cursor)) - 1;
        }
      }
    }
    if (Date.now() - run.canariesAt > CANARY_REFRESH_MS) {
      run.canaries = new Set(await repo.canariesOf(db, tenantId));
      run.canariesAt = Date.now();
    }
    return { run, from, cursor };
  }

  async function loadNetworks(tenantId: string, run: TenantRun, events: DetectionEvent[]) {
    const wanted = new Set<string>();
    for (const e of events)
      if (e.action === 'authn_login_success' && e.actorType === 'operator' && !run.networks.has(e.actorId))
        wanted.add(e.actorId);
    if (wanted.size === 0) return;
    const rows = await repo.networksOf(db, tenantId, [...wanted]);
    for (const id of wanted) run.networks.set(id, new Set());
    for (const r of rows) run.networks.get(r.operator_id)!.add(r.network);
  }

  /**
   * The count a bulk candidate must exceed: multiplier × the actor's busiest past hour. Past means before the hour the window starts in: a burst across the top of the hour, learned in
   * an earlier batch, is never its own baseline.
   */
  async function baselineFloor(tenantId: string, c: AlertCandidate): Promise<number> {
    if (!c.baseline) return 0;
    const hour = c.baseline.windowStart.slice(0, 13);
    const since = new Date(Date.parse(c.eventAt) - BASELINE_DAYS * 24 * HOUR).toISOString().slice(0, 13);
    const busiest = await repo.baselineOf(db, tenantId, c.baseline.actor, hour, since);
    return busiest * c.baseline.multiplier;
  }

  /** One batch of one tenant; returns the number of entries read. */
  async function step(tenantId: string): Promise<number> {
    const { run, from, cursor } = await runFor(tenantId);
    const events = await repo.entriesAfter(db, tenantId, from, options.batchSize);
    if (events.length === 0) return 0;
    const thresholds = await deps.settings.thresholds(tenantId);
    await loadNetworks(tenantId, run, events);
    const candidates: AlertCandidate[] = [];
    const activity = new Map<string, number>();
    const learned: Array<{ tenant_id: string; operator_id: string; network: string; first_seen: string }> =
      [];
    const ctx = {
      thresholds,
      canaries: run.canaries,
      networks: (operatorId: string) => {
        const s = run.networks.get(operatorId);
        return s && s.size > 0 ? s : undefined;
      },
    };
    for (const e of events) {
      const before = candidates.length;
      run.state.evaluate(e, ctx, candidates);
      // A bulk count within the actor's own baseline is dropped at once, so that later events of the
      // same batch are judged against it (a burst that keeps growing alerts as soon as it exceeds it).
      for (let i = before; i < candidates.length; i++) {
        const b = candidates[i]!.baseline;
        if (!b) continue;
        const floor = await baselineFloor(tenantId, candidates[i]!);
        if (b.count > floor) continue;
        run.state.belowBaseline(b.key, floor, b.windowEndsMs);
        candidates.splice(i--, 1);
      }
      if ((e.action === 'sensitive_read' || e.action === 'sensitive_export') && e.outcome === 'success') {
        if (e.seq > cursor) {
          const k = `${e.actorType}:${e.actorId}|${e.time.slice(0, 13)}`;
          activity.set(k, (activity.get(k) ?? 0) + 1);
        }
      }
      if (e.action === 'authn_login_success' && e.actorType === 'operator' && e.clientIp) {
        const net = networkOf(e.clientIp);
        const known = run.networks.get(e.actorId) ?? new Set<string>();
        run.networks.set(e.actorId, known);
        if (!known.has(net)) {
          known.add(net);
          learned.push({ tenant_id: tenantId, operator_id: e.actorId, network: net, first_seen: e.time });
        }
      }
    }
    const at = deps.clock.now().toISOString();
    const rows = candidates.map((c) => toRow(tenantId, c, at));
    const last = events.at(-1)!.seq;
    const fresh = await db.transaction().execute(async (trx) => {
      const inserted = await repo.insertAlerts(trx, rows);
      await repo.addActivity(trx, tenantId, activity);
      await repo.addNetworks(trx, learned);
      if (last > cursor && !(await repo.advanceCursor(trx, tenantId, cursor, last, at)))
        throw new CursorMoved();
      if (inserted.length > 0) await deps.onAlerts(trx, inserted);
      return inserted;
    });
    if (fresh.length > 0) deps.afterCommit?.(fresh);
    return events.length;
  }

  async function runOnce(): Promise<number> {
    let total = 0;
    for (const tenantId of await deps.tenantIds()) {
      try {
        for (;;) {
          const n = await step(tenantId);
          total += n;
          if (n < options.batchSize) break;
        }
      } catch (error) {
        // Another process advanced the cursor, or this tenant's batch failed: forget the windows so
        // the next run re-primes them from the stored cursor.
        tenants.delete(tenantId);
        if (!(error instanceof CursorMoved))
          deps.logger.error({ err: error, tenantId }, 'detection run failed');
      }
    }
    return total;
  }

  /** One pass over every tenant; passes in this process never overlap. */
  function run(): Promise<number> {
    const next = current.catch(() => 0).then(runOnce);
    current = next;
    return next;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void run()
        .catch((error: unknown) => deps.logger.error({ err: error }, 'detection run failed'))
        .finally(schedule);
    }, options.intervalMs);
    timer.unref();
  }

  return {
    run,
    /** Forgets in-memory windows (as a restart would); the next run re-primes them from the cursor. */
    reset(): void {
      tenants.clear();
    },
    /** Refreshes the canary set of a tenant at the next run. */
    invalidateCanaries(tenantId: string): void {
      const r = tenants.get(tenantId);
      if (r) r.canariesAt = 0;
    },
    start(): void {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await current.catch(() => 0);
    },
  };
}

export type DetectionEngine = ReturnType<typeof createDetectionEngine>;

class CursorMoved extends Error {}

/** A new alert row: deliveries pending, open. */
export function toRow(tenantId: string, c: AlertCandidate, at: string): DetectionAlertsTable {
  return {
    id: newId('al'),
    tenant_id: tenantId,
    dedup_key: `${c.rule}|${c.dedupKey}`.slice(0, 500),
    rule: c.rule,
    severity: c.severity,
    actor_type: c.actorType,
    actor_id: c.actorId,
    summary: c.summary.slice(0, 500),
    detail: JSON.stringify(c.detail),
    first_seq: c.firstSeq,
    last_seq: c.lastSeq,
    event_at: c.eventAt,
    created_at: at,
    status: 'open',
    incident_id: null,
    email_status: 'pending',
    webhook_status: 'pending',
    attempts: 0,
    next_attempt_at: at,
  };
}

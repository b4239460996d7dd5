import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';

/** What a scrape reads besides the counters the HTTP layer keeps. */
export interface MetricsSources {
  readonly db: Db;
  readonly clock: Clock;
  isSealed(): boolean;
}

const seconds = (from: string | null | undefined, now: number): number =>
  from ? Math.max(0, (now - Date.parse(from)) / 1000) : 0;

/**
 * The process's Prometheus registry. Counters and histograms are fed by HTTP hooks; everything about
 * stored state (outbox, jobs, keys, audit) is read from the database when Prometheus scrapes, so
 * every process of a cluster reports the same shared figures and nothing is kept twice. Labels are
 * ids and enums only: never personal data.
 */
export function createMetrics(sources: MetricsSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'chatvault_' });

  const http = new Histogram({
    name: 'chatvault_http_request_duration_seconds',
    help: 'HTTP request latency by route and status class',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const webhooks = new Counter({
    name: 'chatvault_ingest_webhooks_total',
    help: 'Webhook deliveries from Meta by outcome (accepted = 200, refused = 4xx, unavailable = 5xx)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const ingestLatency = new Histogram({
    name: 'chatvault_ingest_webhook_duration_seconds',
    help: 'Time from a webhook delivery arriving to its durable acknowledgement',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });

  new Gauge({
    name: 'chatvault_sealed',
    help: '1 while the vault is sealed (every key dropped from memory), else 0',
    registers: [registry],
    collect() {
      this.set(sources.isSealed() ? 1 : 0);
    },
  });

  const outboxDepth = new Gauge({
    name: 'chatvault_outbox_depth',
    help: 'Outbox jobs not yet finished, by kind and status',
    labelNames: ['kind', 'status'] as const,
    registers: [registry],
  });
  const outboxAge = new Gauge({
    name: 'chatvault_outbox_oldest_age_seconds',
    help: 'Age of the oldest unfinished outbox job',
    registers: [registry],
  });
  const jobProgress = new Gauge({
    name: 'chatvault_key_job_progress_ratio',
    help: 'Progress (0..1) of each running key rewrap or re-encryption job',
    labelNames: ['job', 'tenant', 'kind', 'purpose'] as const,
    registers: [registry],
  });
  const keyAge = new Gauge({
    name: 'chatvault_key_age_seconds',
    help: 'Age of the active version of each tenant key',
    labelNames: ['tenant', 'purpose', 'version'] as const,
    registers: [registry],
  });
  const auditLag = new Gauge({
    name: 'chatvault_audit_pending_entries',
    help: 'Audit entries appended but not yet chained by the sequencer',
    registers: [registry],
  });
  const auditLagAge = new Gauge({
    name: 'chatvault_audit_lag_seconds',
    help: 'Age of the oldest audit entry not yet chained',
    registers: [registry],
  });

  /** Reads the stored state once per scrape (a handful of indexed aggregate queries). */
  async function readState(): Promise<void> {
    const now = sources.clock.now().getTime();
    const { db } = sources;
    const outbox = await db
      .selectFrom('outbox')
      .select(['kind', 'status', sql<number>`count(*)`.as('n'), sql<string>`min(created_at)`.as('oldest')])
      .where('status', 'in', ['pending', 'running'])
      .groupBy(['kind', 'status'])
      .execute();
    outboxDepth.reset();
    let oldest: string | null = null;
    for (const row of outbox) {
      outboxDepth.set({ kind: row.kind, status: row.status }, Number(row.n));
      if (row.oldest && (!oldest || row.oldest < oldest)) oldest = row.oldest;
    }
    outboxAge.set(seconds(oldest, now));

    const jobs = await db
      .selectFrom('key_jobs')
      .select(['id', 'tenant_id', 'kind', 'purpose', 'done', 'total'])
      .where('status', '=', 'running')
      .execute();
    jobProgress.reset();
    for (const job of jobs) {
      const ratio = job.total > 0 ? Math.min(1, job.done / job.total) : 0;
      jobProgress.set({ job: job.id, tenant: job.tenant_id, kind: job.kind, purpose: job.purpose }, ratio);
    }

    const keys = await db
      .selectFrom('tenant_keys')
      .select(['tenant_id', 'purpose', 'version', 'created_at'])
      .where('status', '=', 'active')
      .execute();
    keyAge.reset();
    for (const key of keys) {
      keyAge.set(
        { tenant: key.tenant_id, purpose: key.purpose, version: String(key.version) },
        seconds(key.created_at, now),
      );
    }

    const pending = await db
      .selectFrom('audit_entries')
      .select([sql<number>`count(*)`.as('n'), sql<string>`min(time)`.as('oldest')])
      .where('seq', 'is', null)
      .executeTakeFirst();
    auditLag.set(Number(pending?.n ?? 0));
    auditLagAge.set(seconds(pending?.oldest, now));
  }

  return {
    registry,

    /** Records one finished HTTP request; `route` is the route pattern, never the raw URL. */
    observeRequest(method: string, route: string, status: number, durationSeconds: number): void {
      http.observe({ method, route, status: `${Math.floor(status / 100)}xx` }, durationSeconds);
      if (method === 'POST' && route.startsWith('/webhooks/')) {
        webhooks.inc({ outcome: status < 300 ? 'accepted' : status < 500 ? 'refused' : 'unavailable' });
        if (status < 300) ingestLatency.observe(durationSeconds);
      }
    },

    /** The exposition text for one scrape. */
    async render(): Promise<{ contentType: string; body: string }> {
      await readState();
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Logger } from '../../lib/logger.ts';
import type { Db } from '../../db/database.ts';
import { ACTIVE_VERSION_TTL_MS } from './keyring.ts';
import { createPacer, DEFAULT_THROTTLE, type Throttle } from './pacer.ts';
import * as jobs from './key-jobs.repository.ts';
import type { KeyProvider } from './key-provider.ts';
import type { KeyJobsTable } from './keys.table.ts';
import { CUSTOMER_ROW_TABLES, reencryptContactStep, reencryptRowsStep } from './reencrypt-steps.ts';
import { reencryptMediaStep } from './reencrypt-media.ts';
import { reindexContactsStep, type ReindexDeps } from './reindex-steps.ts';
import type { BlobStore } from '../media/blob-store.ts';
import {
  rewrapContactsStep,
  rewrapRetiredStep,
  rewrapTenantKeysStep,
  type StepResult,
} from './rewrap-steps.ts';

export { DEFAULT_THROTTLE, UNTHROTTLED, type Throttle } from './pacer.ts';

/** Rows per range of the final count (see `contactsUnderOther`). */
const VERIFY_CHUNK = 2_000;

/** Phases of each job kind, in order. */
const PHASES: Record<string, readonly string[]> = {
  rewrap: ['contacts', 'contact_keys', 'verify'],
  rewrap_root: ['tenant_keys', 'verify'],
  reindex: ['contacts', 'verify'],
  reencrypt: ['contact', ...CUSTOMER_ROW_TABLES.map(([t]) => t), 'media', 'verify'],
};

export type Progress = (job: KeyJobsTable) => void;

/**
 * Runs key jobs batch by batch. Every batch commits its rows and the job's cursor together, so a job
 * killed at any point resumes where it stopped; a replayed batch finds its rows already done.
 */
export function createJobRunner(
  deps: ReindexDeps & {
    provider: Pick<KeyProvider, 'activeRootVersion'>;
    logger: Logger;
    blobs: BlobStore;
  },
) {
  const running = new Set<string>();

  async function step(job: KeyJobsTable, batch: number): Promise<StepResult | null> {
    switch (`${job.kind}:${job.phase}`) {
      case 'rewrap:contacts':
        return rewrapContactsStep(deps, job, batch);
      case 'rewrap:contact_keys':
        return rewrapRetiredStep(deps, job, batch);
      case 'rewrap_root:tenant_keys':
        return rewrapTenantKeysStep({ ...deps, rootVersion: deps.provider.activeRootVersion() }, job, batch);
      case 'reencrypt:contact':
        return reencryptContactStep(deps, job);
      case 'reindex:contacts':
        return reindexContactsStep(deps, job, batch);
      case 'reencrypt:media':
        return reencryptMediaStep(deps, job);
      default: {
        const table = CUSTOMER_ROW_TABLES.find(([t]) => `reencrypt:${t}` === `${job.kind}:${job.phase}`);
        if (table) return reencryptRowsStep(deps, job, batch, table);
        throw new Error(`Unknown key job step ${job.kind}:${job.phase}`);
      }
    }
  }

  /** Rows still under another version; the job starts over (cheaply: done rows are skipped) if any. */
  async function leftovers(job: KeyJobsTable): Promise<number> {
    const header = jobs.headerOf(job.target_version);
    const other = (table: string, column: string, extra = sql``) =>
      sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}
        where ${sql.ref(column)} is not null and length(${sql.ref(column)}) > 0
          and ${jobs.versionHeader(deps.dialect, column)} <> ${header} ${extra}`
        .execute(deps.db)
        .then((r) => Number(r.rows[0]?.n ?? 0));
    if (job.kind === 'rewrap') {
      const retired = sql`and tenant_id = ${job.tenant_id} and status <> 'destroyed'`;
      return (await contactsUnderOther(job, header)) + (await other('contact_keys', 'wrapped', retired));
    }
    if (job.kind === 'reindex') {
      const r = await deps.db
        .selectFrom('contacts')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('tenant_id', '=', job.tenant_id)
        .where('index_version', '<>', job.target_version)
        .executeTakeFirst();
      return Number(r?.n ?? 0);
    }
    if (job.kind === 'rewrap_root') {
      const root = jobs.headerOf(deps.provider.activeRootVersion());
      const r = await sql<{ n: number | string }>`select count(*) as n from tenant_keys
        where status <> 'destroyed' and ${jobs.versionHeader(deps.dialect, 'wrapped')} <> ${root}`.execute(
        deps.db,
      );
      return Number(r.rows[0]?.n ?? 0);
    }
    const mine = sql`and tenant_id = ${job.tenant_id} and contact_id = ${job.contact_id}`;
    let n = 0;
    for (const [table, column] of CUSTOMER_ROW_TABLES) n += await other(table, column, mine);
    for (const column of ['phone_ct', 'name_ct', 'email_ct', 'attributes_ct'])
      n += await other('contacts', column, sql`and tenant_id = ${job.tenant_id} and id = ${job.contact_id}`);
    const media = await deps.db
      .selectFrom('media')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('tenant_id', '=', job.tenant_id)
      .where('contact_id', '=', job.contact_id!)
      .where('key_version', '<>', job.target_version)
      .executeTakeFirst();
    return n + Number(media?.n ?? 0);
  }

  /**
   * The tenant's contacts whose wrapped key is under another version, counted in id ranges of
   * VERIFY_CHUNK rows with a turn of the event loop between them: one full scan would hold SQLite's
   * connection (and the event loop) for as long as it takes.
   */
  async function contactsUnderOther(job: KeyJobsTable, header: Buffer): Promise<number> {
    let after = '';
    let n = 0;
    for (;;) {
      const r = await sql<{ last: string | null; n: number | string | null }>`select max(k) as last,
          sum(case when c is not null and length(c) > 0 and ${jobs.versionHeader(deps.dialect, 'c')} <> ${header}
            then 1 else 0 end) as n
        from (select id as k, key_wrapped as c from contacts where tenant_id = ${job.tenant_id} and id > ${after}
          order by id limit ${VERIFY_CHUNK}) chunk`.execute(deps.db);
      const row = r.rows[0];
      if (!row?.last) return n;
      n += Number(row.n ?? 0);
      after = row.last;
      await sleep(1);
    }
  }

  async function finish(job: KeyJobsTable, status: 'done' | 'failed', error: string | null) {
    const at = deps.clock.now().toISOString();
    Object.assign(job, { status, error, finished_at: at, updated_at: at });
    await jobs.updateJob(deps.db, job.id, { status, error, finished_at: at, updated_at: at });
  }

  async function nextPhase(job: KeyJobsTable, phase: string, cursor = '') {
    Object.assign(job, { phase, cursor, updated_at: deps.clock.now().toISOString() });
    await jobs.updateJob(deps.db, job.id, { phase, cursor, updated_at: job.updated_at });
  }

  /** Runs one job to its end (or throws, leaving it resumable). Concurrent calls for one job are refused. */
  async function run(
    id: string,
    throttle: Throttle = DEFAULT_THROTTLE,
    progress?: Progress,
  ): Promise<KeyJobsTable> {
    if (running.has(id)) throw new Error(`Key job ${id} is already running in this process`);
    running.add(id);
    const pacer = createPacer(throttle);
    try {
      const job = await jobs.findJob(deps.db, id);
      if (!job) throw new Error(`Key job ${id} not found`);
      const phases = PHASES[job.kind] ?? [];
      let passes = 0;
      while (job.status === 'running') {
        if (job.phase === 'verify') {
          // Processes cache the active version briefly: wait that out before the last count.
          const age = deps.clock.now().getTime() - Date.parse(job.created_at);
          const wait = Math.min(2 * ACTIVE_VERSION_TTL_MS, 2 * ACTIVE_VERSION_TTL_MS - age);
          if (wait > 0) await sleep(wait);
          const left = await leftovers(job);
          if (left === 0) await finish(job, 'done', null);
          else if (++passes >= 5)
            await finish(job, 'failed', `${left} records could not be moved to the new version`);
          else await nextPhase(job, phases[0]!);
          progress?.(job);
          continue;
        }
        const started = performance.now();
        const result = await step(job, pacer.rows());
        if (result === null) {
          await nextPhase(job, phases[phases.indexOf(job.phase) + 1] ?? 'verify');
          continue;
        }
        progress?.(job);
        await pacer.rest(performance.now() - started, result.seen);
      }
      return job;
    } finally {
      pacer.stop();
      running.delete(id);
    }
  }

  return {
    run,
    isRunning: (id: string) => running.has(id),

    /** Resumes every unfinished job (start-up, `keys resume`); a failing job is logged and marked failed. */
    async resumeAll(
      throttle: Throttle = DEFAULT_THROTTLE,
      progress?: Progress,
      staleMs = 0,
    ): Promise<number> {
      let n = 0;
      for (const job of await jobs.runningJobs(deps.db)) {
        if (running.has(job.id)) continue;
        // Another process is moving it (its cursor is fresh): leave it alone.
        if (deps.clock.now().getTime() - Date.parse(job.updated_at) < staleMs) continue;
        try {
          await run(job.id, throttle, progress);
          n++;
        } catch (error) {
          deps.logger.error({ err: error, jobId: job.id }, 'key job failed; it stays resumable');
        }
      }
      return n;
    },

    /** Marks a job failed (an operator gave up on it). */
    fail: (job: KeyJobsTable, error: string) => finish(job, 'failed', error),
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;

/** A new job row, ready to insert in the transaction that made it necessary. */
export function newJobRow(
  input: Pick<KeyJobsTable, 'id' | 'tenant_id' | 'kind' | 'purpose' | 'target_version' | 'contact_id'> & {
    total: number;
    at: string;
  },
): KeyJobsTable {
  return {
    id: input.id,
    tenant_id: input.tenant_id,
    kind: input.kind,
    purpose: input.purpose,
    target_version: input.target_version,
    contact_id: input.contact_id,
    phase: PHASES[input.kind]![0]!,
    cursor: '',
    done: 0,
    total: input.total,
    status: 'running',
    error: null,
    created_at: input.at,
    updated_at: input.at,
    finished_at: null,
  };
}

export type { Db };

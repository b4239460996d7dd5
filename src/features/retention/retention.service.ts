import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import * as settingsRepo from '../consent/consent.repository.ts';
import type { Erasure } from '../dsr/erasure.service.ts';

const days = z.number().int().min(1).max(36_500).nullable();

/** Per-tenant retention; `null` keeps forever. Defaults are off: purging is a decision, not a surprise. */
export const retentionPolicy = z
  .object({
    messageBodyDays: days.default(null),
    mediaDays: days.default(null),
    inactiveCustomerDays: days.default(null),
  })
  .strict();
export type RetentionPolicy = z.infer<typeof retentionPolicy>;

/** Values we recommend in the README for tenants that have no policy of their own. */
export const RECOMMENDED_POLICY: RetentionPolicy = {
  messageBodyDays: 365,
  mediaDays: 180,
  inactiveCustomerDays: 730,
};

const PHASES = ['messages', 'media', 'customers', 'done'] as const;
type Phase = (typeof PHASES)[number];
const DAY_MS = 86_400_000;

interface Counts {
  messages: number;
  media: number;
  customers: number;
}

/**
 * The retention purge of one tenant: message bodies, media and inactive customers past their age are
 * deleted (a whole customer is crypto-shredded through the erasure path), never anything of a
 * customer under legal hold. Cut-off times are fixed when a run starts and every batch moves the
 * run's cursor in the same transaction as its deletions, so a run interrupted anywhere resumes.
 */
export function createRetention(deps: {
  db: Db;
  erasure: Pick<Erasure, 'erase' | 'purgeOne'>;
  audit: Pick<AuditService, 'append'>;
  blobsDir: string;
  clock: Clock;
  batch?: number;
}) {
  const { db, clock } = deps;
  const batch = deps.batch ?? 500;
  const held = (tenantId: string) =>
    db.selectFrom('legal_holds').select('contact_id').where('tenant_id', '=', tenantId);

  async function policy(tenantId: string): Promise<RetentionPolicy> {
    return retentionPolicy.parse((await settingsRepo.findSettings(db, tenantId, 'retention')) ?? {});
  }

  async function startOrResume(tenantId: string) {
    const running = await db
      .selectFrom('retention_runs')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (running) return running;
    const p = await policy(tenantId);
    const now = clock.now().getTime();
    const cut = (d: number | null) => (d === null ? null : new Date(now - d * DAY_MS).toISOString());
    const row = {
      id: newId('rr'),
      tenant_id: tenantId,
      phase: 'messages' as Phase,
      cursor: '',
      cutoffs: JSON.stringify({
        messages: cut(p.messageBodyDays),
        media: cut(p.mediaDays),
        customers: cut(p.inactiveCustomerDays),
      }),
      counts: JSON.stringify({ messages: 0, media: 0, customers: 0 }),
      status: 'running' as const,
      started_at: new Date(now).toISOString(),
      finished_at: null,
    };
    await db.insertInto('retention_runs').values(row).execute();
    return row;
  }

  const removeBlob = (tenantId: string, id: string) =>
    fs.rmSync(path.join(deps.blobsDir, tenantId, id.slice(-2), id), { force: true });

  /** One batch of one phase; returns the new cursor, or null when the phase is finished. */
  async function step(
    run: { id: string; tenant_id: string },
    phase: Phase,
    cursor: string,
    cutoff: string,
    counts: Counts,
  ) {
    const tenantId = run.tenant_id;
    if (phase === 'messages') {
      const rows = await db
        .selectFrom('messages')
        .select(['id', 'wamid_key'])
        .where('tenant_id', '=', tenantId)
        .where('created_at', '<', cutoff)
        .where('id', '>', cursor)
        .where('contact_id', 'not in', held(tenantId))
        .orderBy('id')
        .limit(batch)
        .execute();
      if (rows.length === 0) return null;
      const ids = rows.map((r) => r.id);
      const media = await db.selectFrom('media').select('id').where('message_id', 'in', ids).execute();
      for (const m of media) removeBlob(tenantId, m.id);
      await db.transaction().execute(async (trx) => {
        if (media.length > 0)
          await trx
            .deleteFrom('media')
            .where(
              'id',
              'in',
              media.map((m) => m.id),
            )
            .execute();
        await trx
          .deleteFrom('message_statuses')
          .where('tenant_id', '=', tenantId)
          .where(
            'wamid_key',
            'in',
            rows.map((r) => r.wamid_key),
          )
          .execute();
        await trx.deleteFrom('messages').where('id', 'in', ids).execute();
        counts.messages += rows.length;
        counts.media += media.length;
        await saveCursor(trx, run.id, phase, ids.at(-1)!, counts);
      });
      return ids.at(-1)!;
    }
    if (phase === 'media') {
      const rows = await db
        .selectFrom('media')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('created_at', '<', cutoff)
        .where('id', '>', cursor)
        .where('contact_id', 'not in', held(tenantId))
        .orderBy('id')
        .limit(batch)
        .execute();
      if (rows.length === 0) return null;
      for (const m of rows) removeBlob(tenantId, m.id);
      await db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('media')
          .where(
            'id',
            'in',
            rows.map((r) => r.id),
          )
          .execute();
        counts.media += rows.length;
        await saveCursor(trx, run.id, phase, rows.at(-1)!.id, counts);
      });
      return rows.at(-1)!.id;
    }
    // customers: no contact update and no conversation activity since the cut-off.
    const rows = await db
      .selectFrom('contacts')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('key_wrapped', 'is not', null)
      .where('updated_at', '<', cutoff)
      .where('id', '>', cursor)
      .where('id', 'not in', held(tenantId))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('conversations')
              .select('conversations.id')
              .whereRef('conversations.contact_id', '=', 'contacts.id')
              .where('conversations.updated_at', '>=', cutoff),
          ),
        ),
      )
      .orderBy('id')
      .limit(batch)
      .execute();
    if (rows.length === 0) return null;
    for (const c of rows) {
      await deps.erasure.erase(tenantId, c.id, {
        actor: { type: 'system', id: 'retention' },
        origin: 'retention',
      });
      await deps.erasure.purgeOne(tenantId, c.id);
      counts.customers++;
      await db.transaction().execute((trx) => saveCursor(trx, run.id, phase, c.id, counts));
    }
    return rows.at(-1)!.id;
  }

  async function saveCursor(trx: Db, runId: string, phase: Phase, cursor: string, counts: Counts) {
    await trx
      .updateTable('retention_runs')
      .set({ phase, cursor, counts: JSON.stringify(counts) })
      .where('id', '=', runId)
      .execute();
  }

  return {
    policy,

    async setPolicy(tenantId: string, input: unknown): Promise<RetentionPolicy> {
      const value = parseInput(retentionPolicy, input);
      await settingsRepo.saveSettings(db, tenantId, 'retention', value, clock.now().toISOString());
      return value;
    },

    /**
     * Runs (or resumes) the tenant's purge for at most `maxBatches` batches; `done` tells whether the
     * run finished. Audited once per run with counts only.
     */
    async run(tenantId: string, options: { maxBatches?: number } = {}) {
      const run = await startOrResume(tenantId);
      const cutoffs = JSON.parse(run.cutoffs) as Record<'messages' | 'media' | 'customers', string | null>;
      const counts = JSON.parse(run.counts) as Counts;
      let phase = run.phase;
      let cursor = run.cursor;
      let budget = options.maxBatches ?? Number.POSITIVE_INFINITY;
      while (phase !== 'done') {
        if (budget-- <= 0) return { runId: run.id, done: false, counts };
        const cutoff = cutoffs[phase];
        const next = cutoff === null ? null : await step(run, phase, cursor, cutoff, counts);
        if (next !== null) {
          cursor = next;
          continue;
        }
        phase = PHASES[PHASES.indexOf(phase) + 1]!;
        cursor = '';
        await db.transaction().execute((trx) => saveCursor(trx, run.id, phase, cursor, counts));
      }
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('retention_runs')
          .set({ status: 'completed', finished_at: clock.now().toISOString() })
          .where('id', '=', run.id)
          .execute();
        await deps.audit.append(trx, {
          tenantId,
          actor: { type: 'system', id: 'retention' },
          action: 'sensitive_delete',
          target: { type: 'retention_run', id: run.id },
          outcome: 'success',
          detail: { ...counts },
        });
      });
      return { runId: run.id, done: true, counts };
    },
  };
}

export type Retention = ReturnType<typeof createRetention>;

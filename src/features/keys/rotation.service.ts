import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError, SealedError, ValidationError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Db, Dialect } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { BlobStore } from '../media/blob-store.ts';
import type { ContactCodec } from '../contacts/contact-codec.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import { createJobRunner, DEFAULT_THROTTLE, type Progress, type Throttle } from './key-jobs.ts';
import {
  createKeyRotations,
  keyEvent,
  ROTATABLE,
  type KeyEventContext,
  type RotatablePurpose,
} from './key-rotations.ts';
import * as jobs from './key-jobs.repository.ts';
import type { KeyProvider } from './key-provider.ts';
import { STABLE_INDEX_VERSION, type Keyring } from './keyring.ts';
import * as repo from './keys.repository.ts';
import { countReferences } from './references.ts';
import { KEY_PURPOSES, type KeyPurpose } from './tenant-key-material.ts';

/** Scheduled rotation: every purpose after 90 days unless its policy says otherwise. */
export const DEFAULT_ROTATION_DAYS = 90;
/** Rotate a version after 2^30 encryptions: a quarter of the 2^32 random-nonce bound for AES-GCM. */
export const DEFAULT_MAX_ENCRYPTIONS = 2 ** 30;

export { ROTATABLE, type KeyEventContext, type RotatablePurpose } from './key-rotations.ts';

/**
 * The key lifecycle: on-demand and scheduled rotation of tenant keys, the root key and customer
 * keys; the background jobs that move data to the new versions; the version policy
 * (`min_decryption_version`); and trimming versions nothing references any more. Every key event is
 * audited in the transaction that makes it.
 */
export function createKeyLifecycle(deps: {
  db: Db;
  dialect: Dialect;
  keyring: Keyring;
  provider: KeyProvider;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
  logger: Logger;
  /** Recomputes customers' blind indexes after an `index` rotation. */
  codec: ContactCodec;
  tenants: Pick<TenantService, 'getById'>;
  /** Where stream-encrypted media lives (re-encrypted with its customer's key). */
  blobs: BlobStore;
  /** Default pacing of background jobs (`CHATVAULT_KEY_JOB_THROTTLE`). */
  throttle?: Throttle;
}) {
  const { db, keyring, clock } = deps;
  const runner = createJobRunner({ ...deps });
  const now = () => clock.now().toISOString();

  const { rotate, rotateRoot, rotateContact } = createKeyRotations(deps);

  async function policyOf(tenantId: string, purpose: string) {
    const row = await jobs.findPolicy(db, tenantId, purpose);
    return {
      minDecryptionVersion: row?.min_decryption_version ?? 1,
      rotationDays: row?.rotation_days ?? DEFAULT_ROTATION_DAYS,
      maxEncryptions: row?.max_encryptions ?? DEFAULT_MAX_ENCRYPTIONS,
    };
  }

  return {
    rotate,
    rotateRoot,
    rotateContact,
    policyOf,

    /** Runs (or resumes) one job in the foreground, e.g. for the CLI's progress bar. */
    runJob: (id: string, throttle: Throttle = deps.throttle ?? DEFAULT_THROTTLE, progress?: Progress) =>
      runner.run(id, throttle, progress),

    /** Starts a job in this process without waiting (API, control socket); the key worker resumes a failure. */
    async runInBackground(id: string): Promise<void> {
      if (deps.provider.isSealed()) throw new SealedError();
      if (runner.isRunning(id)) return;
      if (!(await jobs.findJob(db, id))) throw new NotFoundError('Key job');
      runner.run(id, deps.throttle ?? DEFAULT_THROTTLE).catch((error: unknown) => {
        deps.logger.error({ err: error, jobId: id }, 'key job stopped; the key worker resumes it');
      });
    },

    /** Resumes unfinished jobs; `staleMs` skips jobs another process moved recently. */
    resume: (throttle: Throttle = deps.throttle ?? DEFAULT_THROTTLE, progress?: Progress, staleMs = 0) =>
      runner.resumeAll(throttle, progress, staleMs),

    /** One job of this tenant (another tenant's job answers 404). */
    async job(id: string, tenantId: string) {
      const row = await jobs.findJob(db, id);
      if (!row || row.tenant_id !== tenantId) throw new NotFoundError('Key job');
      return toJob(row);
    },

    /** Sets the version policy of one purpose: decryption floor, rotation period, usage cap. */
    async setPolicy(
      tenantId: string,
      purpose: KeyPurpose,
      change: { minDecryptionVersion?: number; rotationDays?: number; maxEncryptions?: number },
      ctx: KeyEventContext,
    ) {
      const current = await policyOf(tenantId, purpose);
      const next = { ...current, ...change };
      const active = await repo.findActiveTenantKeyVersion(db, tenantId, purpose);
      if (active === undefined) throw new NotFoundError('Tenant key');
      if (next.minDecryptionVersion > active)
        throw new ValidationError(`min_decryption_version cannot exceed the active version ${active}`);
      if (next.maxEncryptions > 2 ** 32 - 1) throw new ValidationError('The usage cap must stay below 2^32');
      if (purpose === 'index' && next.minDecryptionVersion > STABLE_INDEX_VERSION)
        throw new ValidationError(
          `index keeps version ${STABLE_INDEX_VERSION} decrypting: keyed hashes of identities and tokens stay under it`,
        );
      await db.transaction().execute(async (trx) => {
        await jobs.upsertPolicy(trx, {
          tenant_id: tenantId,
          purpose,
          min_decryption_version: next.minDecryptionVersion,
          rotation_days: next.rotationDays,
          max_encryptions: next.maxEncryptions,
          updated_at: now(),
        });
        await deps.audit.append(
          trx,
          keyEvent(tenantId, ctx, 'policy_change', { type: 'key_policy', id: purpose }, { policy: next }),
        );
      });
      keyring.forgetActive(tenantId, purpose);
      return next;
    },

    /**
     * Destroys every version of a purpose below `upTo + 1` that is not active, once nothing
     * references it. The wrapped bytes are erased; `min_decryption_version` moves above them.
     * Four-eyes: the caller passes the approved request (kind `key_destroy`, payload `purpose:version`),
     * marked executed in the same transaction.
     */
    async trim(
      tenantId: string,
      purpose: KeyPurpose,
      upTo: number,
      ctx: KeyEventContext & { runApproved: (trx: Db) => Promise<void> },
    ) {
      const versions = await repo.listTenantKeys(db, tenantId, purpose);
      const active = versions.find((v) => v.status === 'active');
      if (!active || upTo >= active.version)
        throw new ValidationError('Only versions older than the active one can be trimmed');
      const doomed = versions.filter((v) => v.version <= upTo && v.status !== 'destroyed');
      for (const v of doomed) {
        const refs = await countReferences({ db, dialect: deps.dialect }, tenantId, purpose, v.version);
        const total = Object.values(refs).reduce((a, b) => a + b, 0);
        if (total > 0)
          throw new ConflictError(
            `Version ${v.version} of ${purpose} is still referenced (${Object.entries(refs)
              .filter(([, n]) => n > 0)
              .map(([k, n]) => `${k}: ${n}`)
              .join(', ')}); rotate and wait for the job first`,
          );
      }
      const running = (await jobs.runningJobs(db)).filter(
        (j) => j.tenant_id === tenantId && j.purpose === purpose,
      );
      if (running.length > 0) throw new ConflictError('A rotation job of this key is still running');
      const policy = await policyOf(tenantId, purpose);
      await db.transaction().execute(async (trx) => {
        await ctx.runApproved(trx);
        for (const v of doomed) {
          await trx
            .updateTable('tenant_keys')
            .set({ status: 'destroyed', wrapped: Buffer.alloc(0), retired_at: v.retired_at ?? now() })
            .where('tenant_id', '=', tenantId)
            .where('purpose', '=', purpose)
            .where('version', '=', v.version)
            .execute();
          await deps.audit.append(
            trx,
            keyEvent(
              tenantId,
              ctx,
              'key_destroy',
              { type: 'tenant_key', id: `${purpose}:${v.version}` },
              { purpose, version: v.version },
            ),
          );
        }
        await jobs.upsertPolicy(trx, {
          tenant_id: tenantId,
          purpose,
          min_decryption_version: Math.max(policy.minDecryptionVersion, upTo + 1),
          rotation_days: policy.rotationDays,
          max_encryptions: policy.maxEncryptions,
          updated_at: now(),
        });
      });
      keyring.clear();
      return { destroyed: doomed.map((v) => v.version) };
    },

    /** Destroys an old root version once no tenant key is wrapped under it (CLI; shares gate it). */
    async trimRoot(version: number, ctx: KeyEventContext) {
      const refs = await countReferences({ db, dialect: deps.dialect }, 'system', 'root', version);
      if (refs.tenant_keys! > 0)
        throw new ConflictError(
          `Root version ${version} still wraps ${refs.tenant_keys} tenant keys; finish the rewrap job first`,
        );
      deps.provider.destroyRootVersion(version);
      const tenantIds = (await db.selectFrom('tenants').select('id').execute()).map((t) => t.id);
      await db.transaction().execute(async (trx) => {
        for (const tenantId of tenantIds)
          await deps.audit.append(
            trx,
            keyEvent(
              tenantId,
              ctx,
              'key_destroy',
              { type: 'root_key', id: `root:${version}` },
              { purpose: 'root', version },
            ),
          );
      });
      return { destroyed: [version] };
    },

    /** Keys that are due (age or usage) are rotated; called by the scheduler, returns what it rotated. */
    async rotateDue(): Promise<Array<{ tenantId: string; purpose: string; version: number }>> {
      await keyring.flushUsage(db);
      const rotated: Array<{ tenantId: string; purpose: string; version: number }> = [];
      const active = await db.selectFrom('tenant_keys').selectAll().where('status', '=', 'active').execute();
      for (const key of active) {
        if (!(ROTATABLE as readonly string[]).includes(key.purpose)) continue;
        const policy = await policyOf(key.tenant_id, key.purpose);
        const ageDays = (clock.now().getTime() - Date.parse(key.created_at)) / 86_400_000;
        const why =
          Number(key.encryptions) >= policy.maxEncryptions
            ? 'usage_cap'
            : ageDays >= policy.rotationDays
              ? 'scheduled'
              : null;
        if (!why) continue;
        const r = await rotate(
          key.tenant_id,
          key.purpose as RotatablePurpose,
          { actor: { type: 'system', id: 'key-scheduler' } },
          why,
        );
        rotated.push({ tenantId: key.tenant_id, purpose: key.purpose, version: r.version });
      }
      return rotated;
    },

    /** Versions, ages, usage and what still references each version, per purpose; plus recent jobs. */
    async status(tenantId: string) {
      const purposes = [];
      for (const purpose of KEY_PURPOSES) {
        const policy = await policyOf(tenantId, purpose);
        const versions = [];
        for (const v of await repo.listTenantKeys(db, tenantId, purpose)) {
          versions.push({
            version: v.version,
            status: v.status,
            createdAt: v.created_at,
            ageDays: Math.floor((clock.now().getTime() - Date.parse(v.created_at)) / 86_400_000),
            encryptions: Number(v.encryptions),
            references:
              v.status === 'destroyed'
                ? {}
                : await countReferences({ db, dialect: deps.dialect }, tenantId, purpose, v.version),
          });
        }
        purposes.push({ purpose, ...policy, versions });
      }
      return { tenantId, purposes, jobs: (await jobs.listJobs(db, tenantId)).map(toJob) };
    },

    /** Root versions and the tenant keys each still wraps. */
    async rootStatus() {
      const out = [];
      for (const v of deps.provider.rootVersions()) {
        const refs = await countReferences({ db, dialect: deps.dialect }, 'system', 'root', v.version);
        out.push({ ...v, references: refs });
      }
      return {
        provider: deps.provider.kind,
        versions: out,
        jobs: (await jobs.listJobs(db, 'system')).map(toJob),
      };
    },
  };
}

export type KeyLifecycle = ReturnType<typeof createKeyLifecycle>;

/** A job as the CLI and API show it (no key material, ids only). */
export function toJob(row: Awaited<ReturnType<typeof jobs.findJob>> & object) {
  return {
    id: row.id,
    kind: row.kind,
    purpose: row.purpose,
    targetVersion: row.target_version,
    contactId: row.contact_id,
    phase: row.phase,
    done: row.done,
    total: row.total,
    status: row.status,
    error: row.error,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

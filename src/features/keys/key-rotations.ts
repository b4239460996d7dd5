import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Db } from '../../db/database.ts';
import type { AuditActor } from '../audit/audit.schema.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { newJobRow } from './key-jobs.ts';
import * as jobs from './key-jobs.repository.ts';
import type { KeyProvider } from './key-provider.ts';
import type { Keyring } from './keyring.ts';
import * as repo from './keys.repository.ts';
import { generateKeyMaterial } from './tenant-key-material.ts';

/** Purposes that may be rotated from the CLI or API (`data` rewraps customer keys, `index` re-indexes). */
export const ROTATABLE = ['data', 'index', 'restricted', 'audit', 'collect'] as const;
export type RotatablePurpose = (typeof ROTATABLE)[number];

/** The background job a tenant-key rotation starts, if data must move: over every customer row. */
const JOB_OF: Partial<Record<RotatablePurpose, 'rewrap' | 'reindex'>> = { data: 'rewrap', index: 'reindex' };

export interface KeyEventContext {
  readonly actor: AuditActor;
  readonly clientIp?: string;
  readonly requestId?: string;
}

/** One audit entry about a key event, as `audit.append` takes it. */
export function keyEvent(
  tenantId: string,
  ctx: KeyEventContext,
  action: 'key_create' | 'key_rotate' | 'key_destroy' | 'policy_change',
  target: { type: string; id: string },
  detail: Record<string, unknown>,
  outcome: 'success' | 'failure' = 'success',
) {
  return {
    tenantId,
    actor: ctx.actor,
    action,
    target,
    outcome,
    detail,
    ...(ctx.clientIp ? { clientIp: ctx.clientIp } : {}),
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
  };
}

interface RotationDeps {
  db: Db;
  keyring: Keyring;
  provider: KeyProvider;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
}

/**
 * Making new key versions: tenant keys, the root key and one customer's key. Each rotation commits
 * the new version, its background job (when data must move) and its `key_rotate` audit entries in one
 * transaction; the job itself runs later (`key-jobs.ts`).
 */
export function createKeyRotations(deps: RotationDeps) {
  const { db, keyring, clock } = deps;

  /**
   * Inserts a job row (when `job` is given) and records `key_rotate` in each listed tenant's chain,
   * inside the rotation's transaction. Returns the job id.
   */
  async function startJob(
    trx: Db,
    ctx: KeyEventContext,
    job: {
      kind: string;
      tenantId: string;
      purpose: string;
      version: number;
      contactId?: string;
      total?: number;
    } | null,
    entries: ReadonlyArray<{
      tenantId: string;
      target: { type: string; id: string };
      detail: Record<string, unknown>;
    }>,
  ): Promise<string | null> {
    const jobId = job ? newId('kj') : null;
    if (job)
      await jobs.insertJob(
        trx,
        newJobRow({
          id: jobId!,
          tenant_id: job.tenantId,
          kind: job.kind,
          purpose: job.purpose,
          target_version: job.version,
          contact_id: job.contactId ?? null,
          total: job.total ?? 0,
          at: clock.now().toISOString(),
        }),
      );
    for (const e of entries)
      await deps.audit.append(
        trx,
        keyEvent(e.tenantId, ctx, 'key_rotate', e.target, { ...e.detail, ...(jobId ? { jobId } : {}) }),
      );
    return jobId;
  }

  /** Makes a new active version of a tenant key; `data` also gets its rewrap job. */
  async function rotate(
    tenantId: string,
    purpose: RotatablePurpose,
    ctx: KeyEventContext,
    why: 'manual' | 'scheduled' | 'usage_cap' = 'manual',
  ): Promise<{ version: number; jobId: string | null }> {
    if (!(ROTATABLE as readonly string[]).includes(purpose))
      throw new ValidationError(
        `Purpose ${purpose} cannot be rotated here (use one of ${ROTATABLE.join(', ')})`,
      );
    const versions = await repo.listTenantKeys(db, tenantId, purpose);
    const current = versions.filter((v) => v.status === 'active').at(-1);
    if (!current) throw new NotFoundError('Tenant key');
    const version = Math.max(...versions.map((v) => v.version)) + 1;
    // Key material and the provider call happen before the transaction (no HSM call under a lock).
    const material = generateKeyMaterial(purpose);
    const wrapped = keyring.wrapTenantKey(tenantId, purpose, version, material.secret);
    material.secret.fill(0);
    const at = clock.now().toISOString();
    const jobId = await db.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('tenant_keys')
        .set({ status: 'retired', retired_at: at })
        .where('tenant_id', '=', tenantId)
        .where('purpose', '=', purpose)
        .where('version', '=', current.version)
        .where('status', '=', 'active')
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1)
        throw new ConflictError('Another rotation of this key ran first');
      await repo.insertTenantKey(trx, {
        tenant_id: tenantId,
        purpose,
        version,
        wrapped,
        public_key: material.publicKey,
        status: 'active',
        created_at: at,
      });
      const job = JOB_OF[purpose];
      const total = job
        ? await trx
            .selectFrom('contacts')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('tenant_id', '=', tenantId)
            .executeTakeFirst()
        : undefined;
      return startJob(
        trx,
        ctx,
        job ? { kind: job, tenantId, purpose, version, total: Number(total?.n ?? 0) } : null,
        [
          {
            tenantId,
            target: { type: 'tenant_key', id: `${purpose}:${version}` },
            detail: { purpose, from: current.version, to: version, trigger: why },
          },
        ],
      );
    });
    keyring.forgetActive(tenantId, purpose);
    return { version, jobId };
  }

  /**
   * Rotates the root key: a new provider version, then every tenant key rewrapped under it. A provider
   * that demands recovery shares for this (pkcs11) gets them checked first.
   */
  async function rotateRoot(
    ctx: KeyEventContext,
    recoveryShares?: readonly string[],
  ): Promise<{ version: number; jobId: string }> {
    await deps.provider.authorizeRootRotation?.(recoveryShares ?? []);
    const version = deps.provider.rotateRoot(clock.now());
    const tenantIds = (await db.selectFrom('tenants').select('id').execute()).map((t) => t.id);
    const jobId = await db.transaction().execute((trx) =>
      startJob(
        trx,
        ctx,
        { kind: 'rewrap_root', tenantId: 'system', purpose: 'root', version },
        tenantIds.map((tenantId) => ({
          tenantId,
          target: { type: 'root_key', id: `root:${version}` },
          detail: { purpose: 'root', to: version },
        })),
      ),
    );
    return { version, jobId: jobId! };
  }

  /** A new data key for one customer (suspected exposure) and the job re-encrypting their data. */
  async function rotateContact(
    tenantId: string,
    contactId: string,
    ctx: KeyEventContext,
  ): Promise<{ version: number; jobId: string }> {
    const row = await db
      .selectFrom('contacts')
      .select(['key_version', 'key_wrapped'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', contactId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Contact');
    if (!row.key_wrapped) throw new ConflictError('This customer was erased; there is no key to rotate');
    const retired = await db
      .selectFrom('contact_keys')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('contact_id', '=', contactId)
      .executeTakeFirst();
    const version = Math.max(row.key_version, Number(retired?.v ?? 0)) + 1;
    const fresh = await keyring.newContactKeyVersion(tenantId, contactId, version);
    const at = clock.now().toISOString();
    const jobId = await db.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('contacts')
        .set({ key_version: version, key_wrapped: fresh.wrapped, updated_at: at })
        .where('id', '=', contactId)
        .where('key_version', '=', row.key_version)
        .where('key_wrapped', '=', row.key_wrapped!)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1)
        throw new ConflictError('The customer changed meanwhile; retry');
      await repo.insertContactKey(trx, {
        contact_id: contactId,
        version: row.key_version,
        tenant_id: tenantId,
        wrapped: row.key_wrapped!,
        status: 'retired',
        created_at: at,
      });
      return startJob(trx, ctx, { kind: 'reencrypt', tenantId, purpose: 'contact', version, contactId }, [
        {
          tenantId,
          target: { type: 'contact_key', id: contactId },
          detail: { purpose: 'contact', from: row.key_version, to: version },
        },
      ]);
    });
    return { version, jobId: jobId! };
  }

  return { rotate, rotateRoot, rotateContact };
}

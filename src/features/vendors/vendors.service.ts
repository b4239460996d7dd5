import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Logger } from '../../lib/logger.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { AuditActor } from '../audit/audit.schema.ts';
import type { Keyring } from '../keys/keyring.ts';
import * as repo from './vendors.repository.ts';
import {
  suspendReason,
  vendorInput,
  vendorPatch,
  type DataCategory,
  type VendorInput,
} from './vendors.schema.ts';
import type { VendorsTable } from './vendors.table.ts';

/** A registered vendor as the API shows it (no secrets: a vendor row holds none). */
export interface Vendor {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly purpose: string;
  readonly riskTier: string;
  readonly dataCategories: DataCategory[];
  readonly region: string;
  readonly transferMechanism: string;
  readonly dpaSignedAt: string | null;
  readonly dpaExpiresAt: string | null;
  readonly certifications: { kind: string; expiresAt: string }[];
  readonly subProcessors: string[];
  readonly breachNoticeHours: number;
  readonly lastReviewAt: string | null;
  readonly nextReviewAt: string;
  readonly openFindings: number;
  readonly owner: string;
  readonly status: 'active' | 'suspended';
  readonly suspendedReason: string | null;
  readonly suspendedAt: string | null;
  readonly pseudonymKeyVersion: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Request facts for the audit entry of a change. */
export interface ChangeContext {
  readonly clientIp?: string;
  readonly requestId?: string;
}

const SYSTEM: AuditActor = { type: 'system', id: 'vendor-register' };

export function toVendor(row: VendorsTable): Vendor {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    purpose: row.purpose,
    riskTier: row.risk_tier,
    dataCategories: JSON.parse(row.data_categories) as DataCategory[],
    region: row.region,
    transferMechanism: row.transfer_mechanism,
    dpaSignedAt: row.dpa_signed_at,
    dpaExpiresAt: row.dpa_expires_at,
    certifications: JSON.parse(row.certifications) as Vendor['certifications'],
    subProcessors: JSON.parse(row.sub_processors) as string[],
    breachNoticeHours: row.breach_notice_hours,
    lastReviewAt: row.last_review_at,
    nextReviewAt: row.next_review_at,
    openFindings: row.open_findings,
    owner: row.owner,
    status: row.status === 'suspended' ? 'suspended' : 'active',
    suspendedReason: row.suspended_reason,
    suspendedAt: row.suspended_at,
    pseudonymKeyVersion: row.pseudonym_key_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Why a vendor may not be used at `now`, or null: an overdue review or an expired agreement.
 * @example complianceProblem(vendor, new Date()) // 'review_overdue'
 */
export function complianceProblem(
  v: Pick<Vendor, 'nextReviewAt' | 'dpaExpiresAt'>,
  now: Date,
): 'review_overdue' | 'dpa_expired' | null {
  const t = now.getTime();
  if (v.dpaExpiresAt && Date.parse(v.dpaExpiresAt) < t) return 'dpa_expired';
  if (Date.parse(v.nextReviewAt) < t) return 'review_overdue';
  return null;
}

function columns(v: Partial<ReturnType<typeof vendorInput.parse>>): Partial<VendorsTable> {
  const json = (x: unknown) => (x === undefined ? undefined : JSON.stringify(x));
  const out: Partial<VendorsTable> = {
    name: v.name,
    purpose: v.purpose,
    risk_tier: v.riskTier,
    data_categories: json(v.dataCategories ? [...new Set(v.dataCategories)].sort() : undefined),
    region: v.region,
    transfer_mechanism: v.transferMechanism,
    dpa_signed_at: v.dpaSignedAt,
    dpa_expires_at: v.dpaExpiresAt,
    certifications: json(v.certifications),
    sub_processors: json(v.subProcessors),
    breach_notice_hours: v.breachNoticeHours,
    last_review_at: v.lastReviewAt,
    next_review_at: v.nextReviewAt,
    open_findings: v.openFindings,
    owner: v.owner,
  };
  return Object.fromEntries(Object.entries(out).filter(([, x]) => x !== undefined));
}

/**
 * The vendor register: vendors with their agreement, certifications and review dates. An overdue
 * review or an expired agreement suspends the vendor (and so every key of it) on first use or at
 * the next sweep; suspension and reactivation are audited with who and why.
 */
export function createVendorService(deps: {
  db: Db;
  keyring: Pick<Keyring, 'tenantKey'>;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
  logger: Logger;
}) {
  const { db, clock } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function load(trx: Db, tenantId: string, id: string): Promise<VendorsTable> {
    const row = await repo.findVendor(trx, tenantId, id);
    if (!row) throw new NotFoundError('Vendor');
    return row;
  }

  async function setSuspended(
    trx: Db,
    row: VendorsTable,
    reason: string,
    actor: AuditActor,
    ctx: ChangeContext = {},
  ): Promise<VendorsTable> {
    const now = clock.now().toISOString();
    const patch = { status: 'suspended', suspended_reason: reason, suspended_at: now, updated_at: now };
    await repo.updateVendor(trx, row.tenant_id, row.id, patch);
    await deps.audit.append(trx, {
      tenantId: row.tenant_id,
      actor,
      action: 'vendor_suspended',
      target: { type: 'vendor', id: row.id },
      outcome: 'success',
      reason,
      ...ctx,
    });
    return { ...row, ...patch };
  }

  /** Suspends a vendor that is out of compliance (used on every key use and by the sweep). */
  async function enforceCompliance(row: VendorsTable): Promise<VendorsTable> {
    if (row.status !== 'active') return row;
    const problem = complianceProblem(toVendor(row), clock.now());
    if (!problem) return row;
    return db.transaction().execute(async (trx) => {
      const fresh = await load(trx, row.tenant_id, row.id);
      return fresh.status === 'active' ? setSuspended(trx, fresh, problem, SYSTEM) : fresh;
    });
  }

  async function sweep(): Promise<number> {
    const due = await repo.dueForSuspension(db, clock.now().toISOString());
    for (const row of due) await enforceCompliance(row);
    if (due.length > 0)
      deps.logger.warn({ vendors: due.length }, 'vendor register: suspended out-of-compliance vendors');
    return due.length;
  }

  return {
    async create(tenantId: string, input: VendorInput, actor: AuditActor, ctx: ChangeContext = {}) {
      const v = parseInput(vendorInput, input);
      const index = await deps.keyring.tenantKey(tenantId, 'index');
      const now = clock.now().toISOString();
      const row: VendorsTable = {
        ...(columns(v) as VendorsTable),
        id: newId('vn'),
        tenant_id: tenantId,
        status: 'active',
        suspended_reason: null,
        suspended_at: null,
        pseudonym_key_version: index.id,
        created_at: now,
        updated_at: now,
      };
      await db.transaction().execute(async (trx) => {
        await repo.insertVendor(trx, row);
        await deps.audit.append(trx, {
          tenantId,
          actor,
          action: 'vendor_change',
          target: { type: 'vendor', id: row.id },
          outcome: 'success',
          detail: { change: 'create' },
          ...ctx,
        });
      });
      return enforceCompliance(row).then(toVendor);
    },

    async update(tenantId: string, id: string, patch: unknown, actor: AuditActor, ctx: ChangeContext = {}) {
      const v = parseInput(vendorPatch, patch);
      const updated = await db.transaction().execute(async (trx) => {
        const row = await load(trx, tenantId, id);
        const set = { ...columns(v), updated_at: clock.now().toISOString() };
        await repo.updateVendor(trx, tenantId, id, set);
        await deps.audit.append(trx, {
          tenantId,
          actor,
          action: 'vendor_change',
          target: { type: 'vendor', id },
          outcome: 'success',
          detail: { change: 'update', fields: Object.keys(v).sort() },
          ...ctx,
        });
        return { ...row, ...set };
      });
      return toVendor(await enforceCompliance(updated));
    },

    async list(tenantId: string): Promise<Vendor[]> {
      return (await repo.listVendors(db, tenantId)).map(toVendor);
    },

    async get(tenantId: string, id: string): Promise<Vendor> {
      return toVendor(await load(db, tenantId, id));
    },

    /**
     * The vendor as of now, suspending it first if it fell out of compliance (the check on use).
     * NotFoundError outside the tenant.
     */
    async current(tenantId: string, id: string): Promise<Vendor> {
      return toVendor(await enforceCompliance(await load(db, tenantId, id)));
    },

    /** Same, for a row the caller already read (the API-key check reads key and vendor in one query). */
    async currentOf(row: VendorsTable): Promise<Vendor> {
      return toVendor(await enforceCompliance(row));
    },

    /**
     * Suspends a vendor: every key of it is refused at once and no webhook is delivered. Called by
     * staff and by containment playbooks.
     */
    async suspend(
      tenantId: string,
      vendorId: string,
      reason: string,
      actor: AuditActor,
      ctx: ChangeContext = {},
    ): Promise<Vendor> {
      const why = parseInput(suspendReason, reason);
      return db.transaction().execute(async (trx) => {
        const row = await load(trx, tenantId, vendorId);
        if (row.status === 'suspended') return toVendor(row);
        return toVendor(await setSuspended(trx, row, why, actor, ctx));
      });
    },

    /**
     * Lifts a suspension (audited with the reason). Refused with 409 while the review is overdue or the
     * agreement expired: record the review or the new agreement first.
     */
    async reactivate(
      tenantId: string,
      vendorId: string,
      reason: string,
      actor: AuditActor,
      ctx: ChangeContext = {},
    ): Promise<Vendor> {
      const why = parseInput(suspendReason, reason);
      return db.transaction().execute(async (trx) => {
        const row = await load(trx, tenantId, vendorId);
        const problem = complianceProblem(toVendor(row), clock.now());
        if (problem)
          throw new ConflictError(
            problem === 'dpa_expired'
              ? 'The data-processing agreement has expired: record a current agreement before reactivating'
              : 'The vendor review is overdue: record the review (next review date) before reactivating',
          );
        if (row.status === 'active') return toVendor(row);
        const now = clock.now().toISOString();
        const patch = { status: 'active', suspended_reason: null, suspended_at: null, updated_at: now };
        await repo.updateVendor(trx, tenantId, vendorId, patch);
        await deps.audit.append(trx, {
          tenantId,
          actor,
          action: 'vendor_reactivated',
          target: { type: 'vendor', id: vendorId },
          outcome: 'success',
          reason: why,
          detail: { previousReason: row.suspended_reason },
          ...ctx,
        });
        return toVendor({ ...row, ...patch });
      });
    },

    /** Suspends every out-of-compliance vendor of every tenant; returns how many. */
    sweep,

    /** Runs the sweep every `intervalMs` (the server does; hourly by default). */
    start(intervalMs = 3600_000): void {
      const loop = () => {
        running = sweep()
          .catch((error: unknown) => deps.logger.error({ err: error }, 'vendor sweep failed'))
          .finally(() => {
            if (timer) timer = setTimeout(loop, intervalMs);
          });
      };
      timer = setTimeout(loop, 1000);
    },
    async stop(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

export type VendorService = ReturnType<typeof createVendorService>;

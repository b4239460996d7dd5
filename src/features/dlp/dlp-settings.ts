import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import { tenantResource } from '../access/entities.ts';
import type { AccessSession } from '../access/sessions.ts';
import type { AuditService } from '../audit/audit.service.ts';
import * as settingsRepo from '../consent/consent.repository.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import { RESTRICTED_KINDS } from './redact.ts';
import type { FindingKind } from './scanner.ts';

/** How long a process keeps a tenant's settings before reading them again (other processes' edits). */
const CACHE_MS = 10_000;

const on = z.boolean().default(true);

/**
 * A tenant's DLP settings. `detectors`: which restricted kinds are acted on (inbound: cut out into
 * the restricted field; outbound: the reply action). `outbound`: what happens to an agent's reply
 * carrying them — `block` (the default: 422 unless overridden with a reason), `mask` (sent with the
 * spans replaced by placeholders such as "[card ending 4242]"), `warn` (sent as typed; audited and
 * answered with a warning). Inbound messages are always masked, as issue 8 requires.
 */
export const dlpSettingsSchema = z
  .object({
    detectors: z
      .object({ card: on, cn_id: on, iban: on, bank_account: on, passport: on })
      .strict()
      .default({}),
    outbound: z.enum(['block', 'mask', 'warn']).default('block'),
  })
  .strict();
export type DlpSettingsValue = z.output<typeof dlpSettingsSchema>;
export type OutboundAction = DlpSettingsValue['outbound'];

/** What the scanner and the reply guard apply for a tenant. */
export interface DlpPolicy {
  readonly kinds: ReadonlySet<FindingKind>;
  readonly outbound: OutboundAction;
}

const policyOf = (v: DlpSettingsValue): DlpPolicy => ({
  kinds: new Set(
    [...RESTRICTED_KINDS].filter((k) => v.detectors[k as keyof DlpSettingsValue['detectors']] !== false),
  ),
  outbound: v.outbound,
});

/**
 * Per-tenant DLP settings (stored in `privacy_settings`, area `dlp`): read by ingest and the reply
 * guard through a short per-process cache, edited by admins (Cedar `manageChannels` on the
 * workspace), every change audited as a `policy_change` with the new settings (no personal data).
 */
export function createDlpSettings(deps: { db: Db; audit: Pick<AuditService, 'append'>; clock: Clock }) {
  const cache = new Map<string, { value: DlpSettingsValue; at: number }>();

  /** `db`: the caller's transaction when it has one (SQLite has one connection: never read beside it). */
  async function get(tenantId: string, db: Db = deps.db): Promise<DlpSettingsValue> {
    const now = deps.clock.now().getTime();
    const hit = cache.get(tenantId);
    if (hit && now - hit.at < CACHE_MS && now >= hit.at) return hit.value;
    const stored = await settingsRepo.findSettings(db, tenantId, 'dlp');
    const value = dlpSettingsSchema.parse(stored ?? {});
    if (cache.size > 10_000) cache.clear();
    cache.set(tenantId, { value, at: now });
    return value;
  }

  const workspace = (tenant: Tenant) =>
    [
      tenantResource('Workspace', tenant.id),
      { type: 'workspace', id: tenant.id, what: 'Workspace' },
    ] as const;

  return {
    get,

    /** The kinds and the reply action in force for a tenant. */
    async policy(tenantId: string): Promise<DlpPolicy> {
      return policyOf(await get(tenantId));
    },

    /** The restricted kinds inbound messages are cut for (ingest's hook). */
    async restrictedKinds(tenantId: string, db?: Db): Promise<ReadonlySet<FindingKind>> {
      return policyOf(await get(tenantId, db)).kinds;
    },

    /** The settings, for admins (Cedar `manageChannels`). */
    async read(session: AccessSession, tenant: Tenant): Promise<DlpSettingsValue> {
      await session.enforce('manageChannels', ...workspace(tenant));
      cache.delete(tenant.id);
      return get(tenant.id);
    },

    /** Replaces the settings (Cedar `manageChannels`); audited with the new values. */
    async save(session: AccessSession, tenant: Tenant, input: unknown): Promise<DlpSettingsValue> {
      const decision = await session.enforce('manageChannels', ...workspace(tenant));
      const value = parseInput(dlpSettingsSchema, input);
      const at = deps.clock.now().toISOString();
      await deps.db.transaction().execute(async (trx) => {
        await settingsRepo.saveSettings(trx, tenant.id, 'dlp', value, at);
        await deps.audit.append(trx, {
          tenantId: tenant.id,
          actor: session.auditActor,
          action: 'policy_change',
          target: { type: 'dlp_settings', id: tenant.id },
          outcome: 'success',
          policyIds: decision.policyIds,
          detail: { detectors: value.detectors, outbound: value.outbound },
          clientIp: session.actor.ip,
          requestId: session.actor.requestId,
        });
      });
      cache.delete(tenant.id);
      return value;
    },
  };
}

export type DlpSettings = ReturnType<typeof createDlpSettings>;

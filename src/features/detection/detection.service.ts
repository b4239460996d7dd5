import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Db } from '../../db/database.ts';
import type { Access } from '../access/access.service.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ContactService } from '../contacts/contacts.service.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { Vault } from '../vault/vault.ts';
import { createAlerts } from './alerts.ts';
import { createCanaries } from './canaries.ts';
import { createAlertDelivery } from './delivery.ts';
import type { Mailer } from './smtp.ts';
import * as repo from './detection.repository.ts';
import { createDetectionEngine, toRow, type EngineOptions, type OnAlerts } from './engine.ts';
import type { DetectionSettings } from './settings.service.ts';

/**
 * Detection: the rule engine over the audit stream, alerts (console, e-mail, signed webhook),
 * canary customers, and the scheduled audit-chain verification.
 */
export function createDetection(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  settings: DetectionSettings;
  audit: Pick<AuditService, 'verify' | 'tenantIds' | 'append'>;
  tenants: Pick<TenantService, 'getById'>;
  contacts: Pick<ContactService, 'createMany'>;
  access: Pick<Access, 'markCanary'>;
  keyring: Pick<Keyring, 'tenantKey'>;
  vault: Pick<Vault, 'seal' | 'openText'>;
  onAlerts: OnAlerts;
  /** While sealed, canaries cannot be created nor routes read: housekeeping waits. */
  isSealed: () => boolean;
  options?: Partial<EngineOptions & { verifyEveryMs: number }>;
  mailer?: Mailer;
}) {
  const { db } = deps;
  const alerts = createAlerts({ db });
  const delivery = createAlertDelivery(deps);
  const canaries = createCanaries(deps);
  const engine = createDetectionEngine({
    db,
    clock: deps.clock,
    logger: deps.logger,
    settings: deps.settings,
    tenantIds: deps.audit.tenantIds,
    onAlerts: deps.onAlerts,
    afterCommit: (rows) => {
      alerts.publish(rows);
      void delivery
        .run()
        .catch((error: unknown) => deps.logger.warn({ err: error }, 'alert delivery failed'));
    },
    ...(deps.options ? { options: deps.options } : {}),
  });
  const verifyEveryMs = deps.options?.verifyEveryMs ?? 15 * 60_000;
  let verifyTimer: NodeJS.Timeout | undefined;
  let deliveryTimer: NodeJS.Timeout | undefined;

  /** Recomputes every tenant's chain; a failure is a critical alert (and opens an incident). */
  async function verifyChains(): Promise<number> {
    let broken = 0;
    for (const tenantId of await deps.audit.tenantIds()) {
      const result = await deps.audit.verify(tenantId);
      if (result.ok || result.keyTrust === 'none') continue;
      broken++;
      const at = deps.clock.now().toISOString();
      const row = toRow(
        tenantId,
        {
          rule: 'audit_chain_broken',
          severity: 'critical',
          dedupKey: `chain|${result.problem?.kind ?? 'unknown'}|${result.problem?.seq ?? '-'}`,
          actorType: 'system',
          actorId: 'audit-verify',
          summary: `Audit chain verification failed: ${result.problem?.kind ?? 'unknown'} at seq ${result.problem?.seq ?? '?'}`,
          detail: { problem: result.problem?.kind ?? null, seq: result.problem?.seq ?? null },
          firstSeq: result.problem?.seq ?? null,
          lastSeq: result.problem?.seq ?? null,
          eventAt: at,
        },
        at,
      );
      const fresh = await db.transaction().execute(async (trx) => {
        const inserted = await repo.insertAlerts(trx, [row]);
        if (inserted.length > 0) await deps.onAlerts(trx, inserted);
        return inserted;
      });
      if (fresh.length > 0) {
        alerts.publish(fresh);
        await delivery.run();
      }
    }
    return broken;
  }

  return {
    settings: deps.settings,
    alerts,
    engine,
    canaries,
    /** One engine pass (after provisioning missing canaries); resolves when caught up. */
    async run(): Promise<number> {
      const changed = await canaries.ensure();
      for (const t of changed) engine.invalidateCanaries(t);
      return engine.run();
    },
    deliver: () => delivery.run(),
    verifyChains,

    /**
     * Records that a ciphertext failed to decrypt (moved or tampered): an audit entry the engine
     * turns into an alert. For code paths that catch a `decryption_failed` error.
     */
    async recordDecryptFailure(tenantId: string, target: { type: string; id: string }): Promise<void> {
      await db.transaction().execute((trx) =>
        deps.audit.append(trx, {
          tenantId,
          actor: { type: 'system', id: 'vault' },
          action: 'sys_decrypt_fail',
          target,
          outcome: 'failure',
        }),
      );
    },

    start(): void {
      engine.start();
      const tick = () => {
        if (deps.isSealed()) return;
        void canaries
          .ensure()
          .then((changed) => changed.forEach((t) => engine.invalidateCanaries(t)))
          .then(() => delivery.run())
          .catch((error: unknown) => deps.logger.warn({ err: error }, 'detection housekeeping failed'));
      };
      deliveryTimer = setInterval(tick, 5_000);
      deliveryTimer.unref();
      verifyTimer = setInterval(() => {
        void verifyChains().catch((error: unknown) =>
          deps.logger.warn({ err: error }, 'scheduled audit verify failed'),
        );
      }, verifyEveryMs);
      verifyTimer.unref();
    },

    async stop(): Promise<void> {
      clearInterval(verifyTimer);
      clearInterval(deliveryTimer);
      await engine.stop();
    },
  };
}

export type Detection = ReturnType<typeof createDetection>;

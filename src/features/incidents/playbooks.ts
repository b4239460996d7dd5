import type { Clock } from '../../lib/clock.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { Actor } from '../../http/actor.ts';
import type { AuditActor } from '../audit/audit.schema.ts';
import { requireFreshMfa } from '../auth/step-up.ts';
import type { createAdminService } from '../auth/admin.service.ts';
import type { KeyLifecycle } from '../keys/rotation.service.ts';
import { ROTATABLE } from '../keys/rotation.service.ts';
import type { OperatorService } from '../operators/operators.service.ts';
import type { Freezes } from './freeze.ts';
import type { IncidentCore, Responder } from './incident-core.ts';
import { playbookInput, type PlaybookInput } from './incidents.schema.ts';

/**
 * The vendor side of containment (issue 9): suspend a vendor, revoke one API key. A typed port so
 * incidents does not depend on how vendors are stored.
 */
export interface VendorContainment {
  suspendVendor(
    tenantId: string,
    vendorId: string,
    reason: string,
    actor: AuditActor,
    ctx: { clientIp?: string; requestId?: string },
  ): Promise<unknown>;
  revokeApiKey(
    tenantId: string,
    keyId: string,
    actor: AuditActor,
    ctx: { clientIp?: string; requestId?: string },
  ): Promise<unknown>;
}

/**
 * Containment playbooks, one call each: each needs a second factor verified in the last 5 minutes,
 * runs the real containment service (which audits its own action), and is recorded on the incident
 * timeline and in the audit log as `incident_playbook`. A failed playbook is recorded as a failure.
 */
export function createPlaybooks(deps: {
  db: Db;
  clock: Clock;
  core: IncidentCore;
  operators: Pick<OperatorService, 'getById'>;
  admin: Pick<ReturnType<typeof createAdminService>, 'disable'>;
  keys: Pick<KeyLifecycle, 'rotate' | 'runInBackground'>;
  freezes: Freezes;
  vendors: VendorContainment | undefined;
  seal: () => Promise<void>;
}) {
  const ctxOf = (who: Responder) => ({
    ...(who.clientIp ? { clientIp: who.clientIp, ip: who.clientIp } : {}),
    ...(who.requestId ? { requestId: who.requestId } : {}),
  });

  async function execute(
    tenantId: string,
    incidentId: string,
    p: ReturnType<typeof playbookInput.parse>,
    who: Responder,
  ) {
    const ctx = ctxOf(who);
    switch (p.playbook) {
      case 'disable_operator': {
        const op = await deps.operators.getById(tenantId, p.operatorId);
        await deps.admin.disable(op, who.actor as { type: 'operator'; id: string }, ctx);
        return { operatorId: op.id };
      }
      case 'revoke_api_key':
        if (!deps.vendors) throw new Error('vendor containment is not available');
        await deps.vendors.revokeApiKey(tenantId, p.keyId, who.actor, ctx);
        return { keyId: p.keyId };
      case 'suspend_vendor':
        if (!deps.vendors) throw new Error('vendor containment is not available');
        await deps.vendors.suspendVendor(
          tenantId,
          p.vendorId,
          `incident ${incidentId} containment`,
          who.actor,
          ctx,
        );
        return { vendorId: p.vendorId };
      case 'freeze':
        await deps.db
          .transaction()
          .execute((trx) =>
            deps.freezes.set(
              trx,
              tenantId,
              { exports: p.exports, campaigns: p.campaigns },
              `${who.actor.type}:${who.actor.id}`,
              incidentId,
            ),
          );
        return { exports: p.exports, campaigns: p.campaigns };
      case 'rotate_keys': {
        const rotated: Record<string, number> = {};
        for (const purpose of ROTATABLE) {
          const r = await deps.keys.rotate(tenantId, purpose, { actor: who.actor, ...ctx }, 'manual');
          rotated[purpose] = r.version;
          if (r.jobId) await deps.keys.runInBackground(r.jobId);
        }
        return { rotated };
      }
      case 'seal_vault':
        return {};
    }
  }

  return {
    /** Runs one playbook for an incident. Needs the HTTP actor for the step-up check. */
    async run(
      tenantId: string,
      incidentId: string,
      input: PlaybookInput,
      who: Responder & { stepUp: Actor },
    ) {
      requireFreshMfa(who.stepUp, 300, deps.clock.now());
      const p = parseInput(playbookInput, input);
      const row = await deps.core.load(deps.db, tenantId, incidentId);
      deps.core.assertOpen(row);
      /** The playbook's entry on the incident timeline (and its audit entry), in a transaction of its own. */
      const note = (detail: Record<string, unknown>, outcome: 'success' | 'failure' = 'success') =>
        deps.db
          .transaction()
          .execute((trx) =>
            deps.core.record(
              trx,
              tenantId,
              incidentId,
              who,
              `playbook:${p.playbook}`,
              detail,
              null,
              'incident_playbook',
              outcome,
            ),
          );
      if (p.playbook === 'seal_vault') {
        // Recorded first: once sealed, nothing that needs a key can be written.
        await note({});
        await deps.seal();
        return { playbook: p.playbook, result: {} };
      }
      let result: Record<string, unknown>;
      try {
        result = await execute(tenantId, incidentId, p, who);
      } catch (error) {
        await note({ ok: false }, 'failure');
        throw error;
      }
      await note({ ok: true, ...result });
      return { playbook: p.playbook, result };
    },
  };
}

export type Playbooks = ReturnType<typeof createPlaybooks>;

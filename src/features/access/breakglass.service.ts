import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { breakGlassInput, type BreakGlassInput } from './access.schema.ts';
import type { BreakGlassGrantsTable } from './access.table.ts';
import { tenantResource } from './entities.ts';
import * as grants from './grants.repository.ts';
import type { ReasonBox } from './sealed-reason.ts';
import type { AccessSession } from './sessions.ts';

export interface BreakGlassGrant {
  readonly id: string;
  readonly operatorId: string;
  readonly reason: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
  /** Not revoked and not expired at the time of reading (decisions re-check against their own clock). */
  readonly active: boolean;
}

const TABLE = 'break_glass_grants';

/**
 * Break-glass: an admin or owner takes time-bound (≤ 4 h) access to reveal any customer's fields and
 * read conversations, with a reason and a fresh second factor. Grants expire by themselves (every
 * decision compares their end with its own clock), are visible to owners, and can be revoked.
 */
export function createBreakGlass(deps: {
  db: Db;
  reasons: ReasonBox;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
}) {
  const { db } = deps;
  const workspace = (tenantId: string) => ({
    resource: tenantResource('Workspace', tenantId),
    target: { type: 'workspace', id: tenantId, what: 'Workspace' },
  });

  async function toGrant(row: BreakGlassGrantsTable): Promise<BreakGlassGrant> {
    return {
      id: row.id,
      operatorId: row.operator_id,
      reason: await deps.reasons.open(row.tenant_id, TABLE, row.id, row.reason_ct),
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      revokedBy: row.revoked_by,
      active: row.revoked_at === null && row.expires_at > deps.clock.now().toISOString(),
    };
  }

  function event(
    session: AccessSession,
    id: string,
    policyIds: readonly string[],
    extra: { reason?: string; detail: Record<string, unknown> },
  ) {
    return {
      tenantId: session.actor.tenantId,
      actor: session.auditActor,
      action: 'authz_break_glass' as const,
      target: { type: 'break_glass_grant', id },
      outcome: 'success' as const,
      policyIds,
      ...extra,
      clientIp: session.actor.ip,
      requestId: session.actor.requestId,
    };
  }

  return {
    async request(session: AccessSession, input: BreakGlassInput): Promise<BreakGlassGrant> {
      const tenantId = session.actor.tenantId;
      const w = workspace(tenantId);
      // Authorisation before validation (the reason itself is checked right after).
      const decision = await session.enforce('breakGlass', w.resource, w.target, { hasReason: true });
      const v = parseInput(breakGlassInput, input);
      const id = newId('bg');
      const now = deps.clock.now();
      const row: BreakGlassGrantsTable = {
        id,
        tenant_id: tenantId,
        operator_id: session.actor.id,
        reason_ct: await deps.reasons.seal(tenantId, TABLE, id, v.reason),
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + v.minutes * 60_000).toISOString(),
        revoked_at: null,
        revoked_by: null,
      };
      await db.transaction().execute(async (trx) => {
        await grants.insertGrant(trx, row);
        await deps.audit.append(
          trx,
          event(session, id, decision.policyIds, {
            reason: v.reason,
            detail: { change: 'granted', expiresAt: row.expires_at, minutes: v.minutes },
          }),
        );
      });
      return toGrant(row);
    },

    /** Owners see every grant of the tenant; anyone else sees their own. */
    async list(session: AccessSession, limit = 100): Promise<BreakGlassGrant[]> {
      const tenantId = session.actor.tenantId;
      const all = session.decide('readGrants', workspace(tenantId).resource).allowed;
      const rows = await grants.listGrants(db, tenantId, {
        ...(all ? {} : { operatorId: session.actor.id }),
        limit,
      });
      return Promise.all(rows.map(toGrant));
    },

    /** Owners revoke any grant; a grantee may end their own early. */
    async revoke(session: AccessSession, id: string): Promise<BreakGlassGrant> {
      const tenantId = session.actor.tenantId;
      const row = await grants.findGrant(db, tenantId, id);
      if (!row) throw new NotFoundError('Break-glass grant');
      const w = workspace(tenantId);
      const policyIds =
        row.operator_id === session.actor.id
          ? session.decide('readGrants', w.resource).policyIds
          : (await session.enforce('readGrants', w.resource, w.target)).policyIds;
      const at = deps.clock.now().toISOString();
      await db.transaction().execute(async (trx) => {
        if (!(await grants.revokeGrant(trx, tenantId, id, session.actor.id, at)))
          throw new ConflictError('The grant is already revoked');
        await deps.audit.append(
          trx,
          event(session, id, policyIds, { detail: { change: 'revoked', grantee: row.operator_id } }),
        );
      });
      return toGrant({ ...row, revoked_at: at, revoked_by: session.actor.id });
    },
  };
}

import type { Clock } from '../../lib/clock.ts';
import { ConflictError } from '../../lib/errors.ts';
import type { Db } from '../../db/database.ts';
import type { Operator, OperatorService } from '../operators/operators.service.ts';
import type { AuthAudit, RequestContext } from './auth-audit.ts';
import * as repo from './auth.repository.ts';
import * as credentials from './credentials.repository.ts';
import type { Author, EnrollmentService } from './enrollment.service.ts';
import type { Lockout } from './lockout.ts';
import type { SessionService } from './sessions.ts';
import type { SettingsService } from './settings.ts';

/** Containment and lifecycle actions on other operators: revoke, disable, unlock, re-enroll. */
export function createAdminService(deps: {
  db: Db;
  clock: Clock;
  operators: Pick<OperatorService, 'getById' | 'setStatus'>;
  enrollment: EnrollmentService;
  lockout: Lockout;
  sessions: SessionService;
  settings: SettingsService;
  audit: AuthAudit;
}) {
  const { db } = deps;
  const on = (op: Operator) => ({ type: 'operator', id: op.id });

  return {
    /** Ends every session of an operator at once (ASVS 7.4.5). */
    async revokeSessions(op: Operator, author: Author, ctx: RequestContext): Promise<number> {
      return db.transaction().execute(async (trx) => {
        const count = await deps.sessions.revokeAll(trx, op.tenantId, op.id);
        const event = { tenantId: op.tenantId, actor: author, target: on(op), outcome: 'success' as const };
        await deps.audit(trx, { ...event, action: 'session_revoked', detail: { scope: 'all', count } }, ctx);
        return count;
      });
    },

    /** Disables an operator: every session ends now and no link can re-enroll it (ASVS 7.4.2). */
    async disable(op: Operator, author: Author, ctx: RequestContext): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await deps.operators.setStatus(trx, op.tenantId, op.id, 'disabled');
        const count = await deps.sessions.revokeAll(trx, op.tenantId, op.id);
        await repo.retireEnrollments(trx, op.tenantId, op.id, deps.clock.now().toISOString());
        const event = { tenantId: op.tenantId, actor: author, target: on(op), outcome: 'success' as const };
        await deps.audit(trx, { ...event, action: 'user_updated', detail: { status: 'disabled' } }, ctx);
        await deps.audit(
          trx,
          { ...event, action: 'session_revoked', detail: { scope: 'disabled', count } },
          ctx,
        );
      });
    },

    /**
     * A new enrollment link. For an active operator (lost factor) this is a reset: credentials are
     * dropped, sessions end and the account is pending until the person enrolls again (ASVS 6.4.4).
     */
    async reenroll(op: Operator, author: Author, ctx: RequestContext) {
      if (op.status === 'disabled') throw new ConflictError('The operator is disabled');
      return db.transaction().execute(async (trx) => {
        if (op.status === 'active') {
          await credentials.deleteCredentials(trx, op.tenantId, op.id);
          await deps.sessions.revokeAll(trx, op.tenantId, op.id);
          await deps.operators.setStatus(trx, op.tenantId, op.id, 'pending');
          await deps.audit(
            trx,
            {
              tenantId: op.tenantId,
              actor: author,
              action: 'authn_mfa_disabled',
              target: on(op),
              outcome: 'success',
              detail: { reset: true },
            },
            ctx,
          );
        }
        return deps.enrollment.issueLink(trx, { ...op, status: 'pending' });
      });
    },

    /** Changes the tenant's sign-in settings (timeouts, passkeys for admins); MFA cannot be turned off. */
    async updateSettings(tenantId: string, body: unknown, author: Author, ctx: RequestContext) {
      return db.transaction().execute(async (trx) => {
        const next = await deps.settings.update(trx, tenantId, body);
        await deps.audit(
          trx,
          {
            tenantId,
            actor: author,
            action: 'policy_change',
            target: { type: 'auth_settings', id: tenantId },
            outcome: 'success',
            detail: { ...next },
          },
          ctx,
        );
        return next;
      });
    },

    /** Clears an account's failure counter, including the hard stop at 100. */
    async unlock(op: Operator, author: Author, ctx: RequestContext): Promise<boolean> {
      const cleared = await deps.lockout.clear(await deps.lockout.accountKey(op.tenantId, op.email));
      await db.transaction().execute((trx) =>
        deps.audit(
          trx,
          {
            tenantId: op.tenantId,
            actor: author,
            action: 'authn_login_unlock',
            target: on(op),
            outcome: 'success',
            detail: { cleared },
          },
          ctx,
        ),
      );
      return cleared;
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;

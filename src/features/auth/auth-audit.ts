import type { Db } from '../../db/database.ts';
import { AUDIT_ACTIONS, type AuditAction } from '../audit/audit.schema.ts';
import type { AuditService } from '../audit/audit.service.ts';

/** The OWASP logging-vocabulary names of every authentication event ChatVault records. */
export type AuthAction =
  | 'authn_login_success'
  | 'authn_login_fail'
  | 'authn_login_lock'
  | 'authn_login_unlock'
  | 'authn_mfa_success'
  | 'authn_mfa_fail'
  | 'authn_mfa_enabled'
  | 'authn_mfa_disabled'
  | 'authn_recovery_code_used'
  | 'authn_password_change'
  | 'authn_logout'
  | 'session_revoked'
  | 'user_created'
  | 'user_updated'
  | 'policy_change';

/**
 * Until the audit vocabulary lists an auth name, it is recorded under the closest listed one with
 * the precise name in `detail.event`, so nothing is ever dropped and the mapping vanishes by itself.
 */
const FALLBACK: Record<AuthAction, AuditAction> = {
  authn_login_success: 'authn_login_success',
  authn_login_fail: 'authn_login_fail',
  authn_login_lock: 'authn_login_fail',
  authn_login_unlock: 'authz_change',
  authn_mfa_success: 'authn_mfa_success',
  authn_mfa_fail: 'authn_mfa_fail',
  authn_mfa_enabled: 'authz_change',
  authn_mfa_disabled: 'authz_change',
  authn_recovery_code_used: 'authn_mfa_success',
  authn_password_change: 'authz_change',
  authn_logout: 'authn_logout',
  session_revoked: 'authn_logout',
  user_created: 'authz_change',
  user_updated: 'authz_change',
  policy_change: 'policy_change',
};

/** Where a request came from, for the audit entry (never personal data beyond the client IP). */
export interface RequestContext {
  readonly ip?: string;
  readonly requestId?: string;
}

export interface AuthEvent {
  readonly tenantId: string;
  readonly actor: { readonly type: 'operator' | 'cli' | 'system'; readonly id: string };
  readonly action: AuthAction;
  readonly target: { readonly type: string; readonly id: string };
  readonly outcome: 'success' | 'failure' | 'denied';
  /** A reason class such as `bad_password` or `totp_replay`; never a secret. */
  readonly reason?: string;
  readonly detail?: Record<string, unknown>;
}

export type AuthAudit = (trx: Db, event: AuthEvent, context?: RequestContext) => Promise<void>;

/** Adapts the audit service to authentication events (every one inside the caller's transaction). */
export function createAuthAudit(audit: Pick<AuditService, 'append'>): AuthAudit {
  const listed = new Set<string>(AUDIT_ACTIONS);
  return async (trx, event, context = {}) => {
    const known = listed.has(event.action);
    const detail = known ? event.detail : { ...event.detail, event: event.action };
    await audit.append(trx, {
      tenantId: event.tenantId,
      actor: event.actor,
      action: known ? (event.action as AuditAction) : FALLBACK[event.action],
      target: event.target,
      outcome: event.outcome,
      ...(event.reason ? { reason: event.reason } : {}),
      ...(detail ? { detail } : {}),
      ...(context.ip ? { clientIp: context.ip } : {}),
      ...(context.requestId ? { requestId: context.requestId } : {}),
    });
  };
}

import type { Db } from '../../db/database.ts';
import type { AuditAction } from '../audit/audit.schema.ts';
import type { AuditService } from '../audit/audit.service.ts';

/** The OWASP logging-vocabulary names of every authentication event ChatVault records. */
export type AuthAction = Extract<
  AuditAction,
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
  | 'policy_change'
>;

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
  return async (trx, event, context = {}) => {
    await audit.append(trx, {
      tenantId: event.tenantId,
      actor: event.actor,
      action: event.action,
      target: event.target,
      outcome: event.outcome,
      ...(event.reason ? { reason: event.reason } : {}),
      ...(event.detail ? { detail: event.detail } : {}),
      ...(context.ip ? { clientIp: context.ip } : {}),
      ...(context.requestId ? { requestId: context.requestId } : {}),
    });
  };
}

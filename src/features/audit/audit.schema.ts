import { z } from 'zod';

/** OWASP logging vocabulary. Extend the list; never rename a value that has been written. */
export const AUDIT_ACTIONS = [
  'authn_login_success',
  'authn_login_fail',
  'authn_login_lock',
  'authn_login_unlock',
  'authn_logout',
  'authn_mfa_success',
  'authn_mfa_fail',
  'authn_mfa_enabled',
  'authn_mfa_disabled',
  'authn_recovery_code_used',
  'authn_password_change',
  'authn_token_invalid',
  'session_revoked',
  'user_created',
  'user_updated',
  'authz_fail',
  'input_validation_fail',
  'authz_change',
  'authz_break_glass',
  'sensitive_read',
  'sensitive_create',
  'sensitive_update',
  'sensitive_delete',
  'sensitive_export',
  'key_create',
  'key_rotate',
  'key_destroy',
  'policy_change',
  'sys_seal',
  'sys_unseal',
  'sys_decrypt_fail',
  'incident_change',
  'incident_playbook',
  'authn_token_created',
  'authn_token_revoked',
  'vendor_change',
  'vendor_suspended',
  'vendor_reactivated',
  'api_key_use',
  'campaign_change',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const ACTOR_TYPES = ['operator', 'api_key', 'system', 'cli'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export const OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof OUTCOMES)[number];

/** Ids and type names: short tokens, never free text (free text goes in the encrypted reason). */
export const TOKEN_PATTERN = /^[A-Za-z0-9._:/-]+$/;
export const TOKEN_MAX = 128;
const token = z.string().min(1).max(TOKEN_MAX).regex(TOKEN_PATTERN, 'must be an id-like token');

export const auditActor = z.object({ type: z.enum(ACTOR_TYPES), id: token }).strict();
export type AuditActor = z.infer<typeof auditActor>;

export const auditTarget = z.object({ type: token, id: token }).strict();
export type AuditTarget = z.infer<typeof auditTarget>;

/** A reveal's justification: a few words at least, stored only encrypted. */
export const revealReason = z
  .string()
  .trim()
  .min(5, 'a reason of at least 5 characters is required')
  .max(500);

export const REASON_MAX = 2000;
export const POLICY_IDS_MAX = 50;

/** The facts of an event, validated before anything is encrypted or stored. */
export const auditFacts = z
  .object({
    tenantId: token,
    actor: auditActor,
    action: z.enum(AUDIT_ACTIONS),
    target: auditTarget,
    outcome: z.enum(OUTCOMES),
    reason: z.string().min(1).max(REASON_MAX).optional(),
    detail: z.record(z.string().max(64), z.unknown()).optional(),
    policyIds: z.array(token).max(POLICY_IDS_MAX).optional(),
    clientIp: z.string().ip().optional(),
    requestId: token.optional(),
    sessionId: token.optional(),
  })
  .passthrough();
export type AuditFacts = z.output<typeof auditFacts>;

const isoTime = z
  .string()
  .datetime({ offset: true })
  .transform((v) => new Date(v).toISOString());
const count = (max: number) => z.coerce.number().int().min(0).max(max);

/** Auditor's filters over one tenant's log; results are keyset-paged on seq. */
export const auditQuery = z
  .object({
    actorType: z.enum(ACTOR_TYPES).optional(),
    actorId: token.optional(),
    action: z.enum(AUDIT_ACTIONS).optional(),
    targetType: token.optional(),
    targetId: token.optional(),
    sessionId: token.optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    order: z.enum(['asc', 'desc']).default('desc'),
    cursor: count(Number.MAX_SAFE_INTEGER).optional(),
    limit: count(500).min(1).default(100),
  })
  .strict();
export type AuditQuery = z.input<typeof auditQuery>;

export const inclusionQuery = z
  .object({ seq: count(Number.MAX_SAFE_INTEGER), treeSize: count(Number.MAX_SAFE_INTEGER).optional() })
  .strict();

export const consistencyQuery = z
  .object({ first: count(Number.MAX_SAFE_INTEGER), second: count(Number.MAX_SAFE_INTEGER) })
  .strict();

export const checkpointQuery = z
  .object({ cursor: count(Number.MAX_SAFE_INTEGER).optional(), limit: count(500).min(1).default(100) })
  .strict();

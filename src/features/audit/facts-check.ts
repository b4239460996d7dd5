import {
  ACTOR_TYPES,
  AUDIT_ACTIONS,
  OUTCOMES,
  POLICY_IDS_MAX,
  REASON_MAX,
  TOKEN_MAX,
  TOKEN_PATTERN,
  type AuditFacts,
} from './audit.schema.ts';

const ACTIONS: ReadonlySet<unknown> = new Set(AUDIT_ACTIONS);
const ACTOR_KINDS: ReadonlySet<unknown> = new Set(ACTOR_TYPES);
const OUTCOME_VALUES: ReadonlySet<unknown> = new Set(OUTCOMES);
// zod's own IPv4 pattern (zod 3, `z.string().ip()`): other addresses take the schema's path.
const IPV4 =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$/;

const isToken = (v: unknown): boolean =>
  typeof v === 'string' && v.length >= 1 && v.length <= TOKEN_MAX && TOKEN_PATTERN.test(v);

const optional = (v: unknown, check: (v: unknown) => boolean): boolean => v === undefined || check(v);

/** Every slot a token (a hole in a sparse array is not). */
function isTokenList(v: unknown): boolean {
  if (!Array.isArray(v) || v.length > POLICY_IDS_MAX) return false;
  for (let i = 0; i < v.length; i++) if (!isToken(v[i])) return false;
  return true;
}

/** A plain object with exactly the keys `type` and `id` (the schema's strict actor and target). */
function isPair(v: unknown, isType: (t: unknown) => boolean): boolean {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return false;
  const o = v as Record<string, unknown>;
  return Object.keys(o).length === 2 && isType(o.type) && isToken(o.id);
}

/**
 * The common audit event, checked without zod: every audited action appends one, and zod's parse
 * was the largest piece of an append's JavaScript. Returns the event when the schema would accept it
 * and return it unchanged; `undefined` sends it through `auditFacts`, which accepts it or says what
 * is wrong. It never accepts what the schema rejects (facts-check.test.ts compares them). Events
 * with a `detail`, or an address that is not dotted IPv4, always take the schema's path.
 */
export function checkedFacts(event: unknown): AuditFacts | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const e = event as Record<string, unknown>;
  const ok =
    isToken(e.tenantId) &&
    isPair(e.actor, (t) => ACTOR_KINDS.has(t)) &&
    ACTIONS.has(e.action) &&
    isPair(e.target, isToken) &&
    OUTCOME_VALUES.has(e.outcome) &&
    optional(e.reason, (r) => typeof r === 'string' && r.length >= 1 && r.length <= REASON_MAX) &&
    e.detail === undefined &&
    optional(e.policyIds, isTokenList) &&
    optional(e.clientIp, (ip) => typeof ip === 'string' && IPV4.test(ip)) &&
    optional(e.requestId, isToken) &&
    optional(e.sessionId, isToken);
  return ok ? (event as AuditFacts) : undefined;
}

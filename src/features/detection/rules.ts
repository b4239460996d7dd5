import type { Severity } from './detection.table.ts';
import { withinBusinessHours, type Thresholds } from './settings.ts';
import { LruMap } from '../../lib/lru-map.ts';
import { SlidingCount, SlidingDistinct, WINDOW_KEYS_CAP, WindowMap } from './windows.ts';

/** The chained audit entry fields the rules read (ids only; ciphertexts are never opened here). */
export interface DetectionEvent {
  readonly seq: number;
  readonly time: string;
  readonly actorType: string;
  readonly actorId: string;
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string;
  readonly outcome: string;
  readonly subjectId: string | null;
  readonly clientIp: string | null;
}

export type RuleId =
  | 'bulk_access'
  | 'tenant_bulk_access'
  | 'canary_touched'
  | 'failed_login_burst'
  | 'password_spraying'
  | 'mfa_failures'
  | 'new_network'
  | 'off_hours'
  | 'vendor_key_misuse'
  | 'webhook_signature_burst'
  | 'decryption_failure'
  | 'audit_chain_broken'
  | 'vault_event';

export interface AlertCandidate {
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly dedupKey: string;
  readonly actorType: string | null;
  readonly actorId: string | null;
  readonly summary: string;
  readonly detail: Record<string, unknown>;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly eventAt: string;
  /** Bulk alerts hold only if the count also exceeds the actor's own baseline (checked by the engine). */
  readonly baseline?: {
    readonly actor: string;
    readonly count: number;
    readonly multiplier: number;
    /** Start of the window the count covers: hours from this one on are the burst itself, not its baseline. */
    readonly windowStart: string;
    /** The window key, for {@link RuleState.belowBaseline}. */
    readonly key: string;
    readonly windowEndsMs: number;
  };
}

const PERSONAL_READS = new Set(['sensitive_read', 'sensitive_export']);
const CANARY_ACTIONS = new Set([
  'sensitive_read',
  'sensitive_export',
  'sensitive_update',
  'sensitive_delete',
]);
const SENSITIVE = new Set([
  'sensitive_read',
  'sensitive_export',
  'sensitive_delete',
  'authz_break_glass',
  'key_rotate',
  'key_destroy',
  'policy_change',
  'authz_change',
]);
const MIN = 60_000;

/** IPv4 /24 or IPv6 /48: "the same network" for the new-network rule. */
export function networkOf(ip: string): string {
  if (ip.includes(':')) {
    const parts = ip.split('::')[0]!.split(':');
    return `${parts.slice(0, 3).join(':')}::/48`;
  }
  return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
}

/**
 * One tenant's rule state: sliding windows per actor, per address, per account and per channel.
 * `evaluate` is synchronous and allocation-light; the engine supplies canaries and known networks.
 */
export function createRuleState(tenantId: string) {
  const counts = new WindowMap(() => new SlidingCount());
  const distinct = new WindowMap(() => new SlidingDistinct());
  // Bounded like the windows, so keys an attacker cycles through cannot grow memory without end.
  const firstSeq = new LruMap<string, number>(WINDOW_KEYS_CAP);
  const suppressedUntil = new LruMap<string, number>(WINDOW_KEYS_CAP);
  /** Bulk counts judged within the actor's baseline: the next candidate needs more than `floor`. */
  const floors = new LruMap<string, { floor: number; until: number }>(WINDOW_KEYS_CAP);

  /** Counts into a window; returns the count and remembers where the burst began. */
  function bump(key: string, e: DetectionEvent, t: number, windowMs: number): number {
    const w = counts.get(key);
    const n = w.add(t, windowMs);
    if (n === 1) firstSeq.set(key, e.seq);
    return n;
  }

  /** One alert per key per window: later events of the same burst are folded into it. */
  function fire(key: string, t: number, windowMs: number): string | undefined {
    const until = suppressedUntil.get(key);
    if (until !== undefined && t < until) return undefined;
    suppressedUntil.set(key, t + windowMs);
    return `${key}|${Math.floor(t / windowMs)}`;
  }

  const actorOf = (e: DetectionEvent) => `${e.actorType}:${e.actorId}`;

  return {
    tenantId,

    /**
     * The engine judged a bulk candidate within the actor's own baseline: it is dropped, and the same
     * burst may alert again (this window, without waiting for the next) once its count exceeds `floor`.
     */
    belowBaseline(key: string, floor: number, untilMs: number): void {
      suppressedUntil.delete(key);
      floors.set(key, { floor, until: untilMs });
    },

    evaluate(
      e: DetectionEvent,
      ctx: {
        thresholds: Thresholds;
        canaries: ReadonlySet<string>;
        /** Known networks of an operator, or undefined when it has none yet (first sign-in). */
        networks: (operatorId: string) => ReadonlySet<string> | undefined;
      },
      out: AlertCandidate[],
    ): void {
      const t = Date.parse(e.time);
      const th = ctx.thresholds;
      const base = {
        actorType: e.actorType,
        actorId: e.actorId,
        firstSeq: e.seq,
        lastSeq: e.seq,
        eventAt: e.time,
      };

      if (CANARY_ACTIONS.has(e.action) && e.actorType !== 'system') {
        const contact = e.targetType === 'contact' ? e.targetId : e.subjectId;
        if (contact && ctx.canaries.has(contact)) {
          out.push({
            ...base,
            rule: 'canary_touched',
            severity: 'critical',
            dedupKey: `canary|${actorOf(e)}|${contact}`,
            summary: `Canary customer ${contact} touched (${e.action}) by ${actorOf(e)}`,
            detail: { contactId: contact, action: e.action, clientIp: e.clientIp },
          });
        }
      }

      if (PERSONAL_READS.has(e.action) && e.outcome === 'success' && e.actorType !== 'system') {
        const w = th.bulk.windowMinutes * MIN;
        const key = `bulk|${actorOf(e)}`;
        const n = bump(key, e, t, w);
        const f = floors.get(key);
        if (n >= th.bulk.threshold && (f === undefined || t >= f.until || n > f.floor)) {
          const dedup = fire(key, t, w);
          if (dedup)
            out.push({
              ...base,
              firstSeq: firstSeq.get(key) ?? e.seq,
              rule: 'bulk_access',
              severity: 'high',
              dedupKey: dedup,
              summary: `${n} personal-data reads or exports by ${actorOf(e)} within ${th.bulk.windowMinutes} min`,
              detail: { count: n, windowMinutes: th.bulk.windowMinutes, threshold: th.bulk.threshold },
              baseline: {
                actor: actorOf(e),
                count: n,
                multiplier: th.bulk.baselineMultiplier,
                windowStart: new Date(t - w).toISOString(),
                key,
                windowEndsMs: t + w,
              },
            });
        }
      }

      if (PERSONAL_READS.has(e.action) && e.outcome === 'success' && e.actorType !== 'system') {
        const w = th.tenantBulk.windowMinutes * MIN;
        const n = bump('tenant-bulk', e, t, w);
        if (n >= th.tenantBulk.threshold) {
          const dedup = fire('tenant-bulk', t, w);
          if (dedup)
            out.push({
              ...base,
              actorType: null,
              actorId: null,
              firstSeq: firstSeq.get('tenant-bulk') ?? e.seq,
              rule: 'tenant_bulk_access',
              severity: 'high',
              dedupKey: dedup,
              summary: `${n} personal-data reads or exports in the tenant within ${th.tenantBulk.windowMinutes} min`,
              detail: {
                count: n,
                windowMinutes: th.tenantBulk.windowMinutes,
                threshold: th.tenantBulk.threshold,
              },
            });
        }
      }

      if (e.action === 'authn_login_fail') {
        const w = th.failedLogins.windowMinutes * MIN;
        const key = `logins|${e.targetId}`;
        const n = bump(key, e, t, w);
        if (n >= th.failedLogins.threshold) {
          const dedup = fire(key, t, w);
          if (dedup)
            out.push({
              ...base,
              firstSeq: firstSeq.get(key) ?? e.seq,
              rule: 'failed_login_burst',
              severity: 'high',
              dedupKey: dedup,
              summary: `${n} failed sign-ins for account ${e.targetId} within ${th.failedLogins.windowMinutes} min`,
              detail: { account: e.targetId, count: n, clientIp: e.clientIp },
            });
        }
        if (e.clientIp) {
          const sw = th.spraying.windowMinutes * MIN;
          const skey = `spray|${e.clientIp}`;
          const accounts = distinct.get(skey).add(e.targetId, t, sw);
          if (accounts >= th.spraying.accounts) {
            const dedup = fire(skey, t, sw);
            if (dedup)
              out.push({
                ...base,
                rule: 'password_spraying',
                severity: 'high',
                dedupKey: dedup,
                summary: `Failed sign-ins to ${accounts} accounts from ${e.clientIp} within ${th.spraying.windowMinutes} min`,
                detail: { clientIp: e.clientIp, accounts },
              });
          }
        }
      }

      if (e.action === 'authn_mfa_fail') {
        const w = th.mfaFailures.windowMinutes * MIN;
        const key = `mfa|${e.targetId}`;
        const n = bump(key, e, t, w);
        if (n >= th.mfaFailures.threshold) {
          const dedup = fire(key, t, w);
          if (dedup)
            out.push({
              ...base,
              firstSeq: firstSeq.get(key) ?? e.seq,
              rule: 'mfa_failures',
              severity: 'high',
              dedupKey: dedup,
              summary: `${n} second-factor failures for account ${e.targetId} within ${th.mfaFailures.windowMinutes} min`,
              detail: { account: e.targetId, count: n },
            });
        }
      }

      if (e.action === 'authn_login_success' && e.actorType === 'operator' && e.clientIp) {
        const net = networkOf(e.clientIp);
        const known = ctx.networks(e.actorId);
        if (known && !known.has(net))
          out.push({
            ...base,
            rule: 'new_network',
            severity: 'medium',
            dedupKey: `network|${e.actorId}|${net}`,
            summary: `Operator ${e.actorId} signed in from a new network ${net}`,
            detail: { network: net, clientIp: e.clientIp },
          });
      }

      if (
        SENSITIVE.has(e.action) &&
        e.actorType === 'operator' &&
        !withinBusinessHours(th.businessHours, new Date(t))
      ) {
        const day = e.time.slice(0, 10);
        out.push({
          ...base,
          rule: 'off_hours',
          severity: 'medium',
          dedupKey: `offhours|${e.actorId}|${day}`,
          summary: `Sensitive action ${e.action} by operator ${e.actorId} outside business hours`,
          detail: { action: e.action, timezone: th.businessHours.timezone },
        });
      }

      if (e.actorType === 'api_key' && (e.outcome === 'denied' || e.outcome === 'failure')) {
        out.push({
          ...base,
          rule: 'vendor_key_misuse',
          severity: 'high',
          dedupKey: `apikey|${e.actorId}|${e.clientIp ?? '-'}|${Math.floor(t / (60 * MIN))}`,
          summary: `API key ${e.actorId} refused (${e.action}): outside its allowlist, suspended or revoked`,
          detail: { action: e.action, clientIp: e.clientIp, target: `${e.targetType}:${e.targetId}` },
        });
      }

      if (e.action === 'authn_token_invalid' && e.targetType === 'channel') {
        const w = th.webhookSignatures.windowMinutes * MIN;
        const key = `webhook|${e.targetId}`;
        const n = bump(key, e, t, w);
        if (n >= th.webhookSignatures.threshold) {
          const dedup = fire(key, t, w);
          if (dedup)
            out.push({
              ...base,
              firstSeq: firstSeq.get(key) ?? e.seq,
              rule: 'webhook_signature_burst',
              severity: 'high',
              dedupKey: dedup,
              summary: `${n} webhook deliveries with a bad signature on channel ${e.targetId}`,
              detail: { channelId: e.targetId, count: n },
            });
        }
      }

      if (e.action === 'sys_decrypt_fail') {
        out.push({
          ...base,
          rule: 'decryption_failure',
          severity: 'high',
          dedupKey: `decrypt|${e.targetType}:${e.targetId}|${Math.floor(t / (60 * MIN))}`,
          summary: `A ciphertext failed to decrypt (${e.targetType} ${e.targetId}): moved or tampered`,
          detail: { target: `${e.targetType}:${e.targetId}` },
        });
      }

      if (e.action === 'sys_seal' || e.action === 'sys_unseal' || e.action === 'key_destroy') {
        out.push({
          ...base,
          rule: 'vault_event',
          severity: e.action === 'key_destroy' ? 'high' : 'medium',
          dedupKey: `vault|${e.action}|${e.seq}`,
          summary: `${e.action} by ${actorOf(e)} on ${e.targetType} ${e.targetId}`,
          detail: { action: e.action, target: `${e.targetType}:${e.targetId}` },
        });
      }
    },
  };
}

export type RuleState = ReturnType<typeof createRuleState>;

import type { ActionId } from './cedar-schema.ts';
import {
  contactEntity,
  contactShape,
  operatorEntity,
  type ContactFacts,
  type PrincipalFacts,
} from './entities.ts';
import type { Decision, Entity, LoadedPolicySet, Pdp } from './pdp.ts';

export interface DecideOptions {
  readonly field?: string;
  readonly hasReason?: boolean;
  readonly related?: readonly Entity[];
}

/** Seconds since the second factor was last verified; "never" is far older than any window. */
export const NEVER_VERIFIED_AGE = 1_000_000_000;

/**
 * The decisions of one request: one principal, one clock reading, one policy-set version. Identical
 * questions are answered once (Cedar is deterministic), and contacts are asked about by shape, so a
 * page of 50 contacts × 4 fields costs a handful of Cedar calls rather than hundreds.
 */
export function createDecisionSession(deps: {
  pdp: Pdp;
  set: LoadedPolicySet;
  principal: PrincipalFacts;
  nowSeconds: number;
}) {
  const { pdp, set, principal, nowSeconds } = deps;
  const principalEntity = operatorEntity(principal);
  const mfaAgeSeconds =
    principal.lastMfaAt > 0 ? Math.max(0, nowSeconds - principal.lastMfaAt) : NEVER_VERIFIED_AGE;
  const cache = new Map<string, Decision>();
  let calls = 0;

  /** Answers `key` from the cache, or asks Cedar about the entity `resource()` builds. */
  function decideKeyed(
    key: string,
    action: ActionId,
    resource: () => Entity,
    options: DecideOptions,
  ): Decision {
    const cached = cache.get(key);
    if (cached) return cached;
    calls++;
    const decision = pdp.decide(set, {
      principal: principalEntity,
      action,
      resource: resource(),
      context: {
        now: nowSeconds,
        mfaAgeSeconds,
        field: options.field ?? '',
        hasReason: options.hasReason ?? false,
      },
      ...(options.related ? { related: options.related } : {}),
    });
    cache.set(key, decision);
    return decision;
  }

  const question = (action: ActionId, options: DecideOptions) =>
    `${action}\u0000${options.field ?? ''}\u0000${options.hasReason ?? false}`;

  function decide(action: ActionId, resource: Entity, options: DecideOptions = {}): Decision {
    const key = `${question(action, options)}\u0000${JSON.stringify(resource)}\u0000${JSON.stringify(options.related ?? [])}`;
    return decideKeyed(key, action, () => resource, options);
  }

  return {
    principal,
    nowSeconds,
    mfaAgeSeconds,
    policySetVersion: set.version,
    decide,

    /** A decision about a contact, shared by every contact of the same shape when that is sound. */
    decideContact: (action: ActionId, facts: ContactFacts, options: DecideOptions = {}): Decision => {
      const subject = set.shapeSafe ? contactShape(facts, principal.operatorId) : facts;
      // Every fact a contact entity is built from, so equal keys mean equal entities (ids hold no
      // control characters). Cheaper than serialising the entity: a page asks this up to 400 times.
      const key = `${question(action, options)}\u0001${subject.tenantId}\u0001${subject.contactId}\u0001${subject.canary}\u0001${subject.assignedOperators.join('\u0002')}${options.related ? `\u0001${JSON.stringify(options.related)}` : ''}`;
      return decideKeyed(key, action, () => contactEntity(subject), options);
    },

    /**
     * How many Cedar evaluations this request needed (for tests and the benchmark). A function, not
     * a getter: on Node 20 an accessor in this per-request object literal made V8's optimizing
     * compiler crash the process intermittently (Deoptimizer "unreachable code").
     */
    cedarCalls: (): number => calls,
  };
}

export type DecisionSession = ReturnType<typeof createDecisionSession>;

import { randomBytes } from 'node:crypto';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { ACTIONS, CEDAR_SCHEMA, SHAPE_SAFE_LITERAL_TYPES, type ActionId } from './cedar-schema.ts';

export type Entity = cedar.EntityJson;
export type CedarValue = cedar.CedarValueJson;

/** What every decision is told besides the entities. Times are Unix seconds. */
export interface RequestContext {
  readonly now: number;
  readonly mfaAgeSeconds: number;
  /** The personal field a field-level action is about; "" for other actions. */
  readonly field: string;
  readonly hasReason: boolean;
}

export interface DecisionRequest {
  readonly principal: Entity;
  readonly action: ActionId;
  readonly resource: Entity;
  readonly context: RequestContext;
  /** Entities the resource's attributes point at (a conversation's contact). */
  readonly related?: readonly Entity[];
}

export interface Decision {
  readonly allowed: boolean;
  /** Ids of the policies that decided: the permits that allowed, or the forbids that denied. */
  readonly policyIds: readonly string[];
  /** True when a policy failed to evaluate; the decision is then a deny (fail closed). */
  readonly errored: boolean;
}

/** A policy set parsed into the Cedar engine under process-unique keys, one per action. */
export interface LoadedPolicySet {
  /** Engine key of the sub-set of policies whose scope can match each action. */
  readonly keys: Readonly<Record<ActionId, string>>;
  /** Per action, every attribute name its sub-set reads (`.name`, `has name`) of any entity or the context. */
  readonly reads: Readonly<Record<ActionId, ReadonlySet<string>>>;
  readonly version: number;
  readonly ids: readonly string[];
  /**
   * True when no policy names an operator, contact or other record by literal: decisions then depend
   * only on a record's attributes, so they can be computed once per shape and reused.
   */
  readonly shapeSafe: boolean;
}

export type PolicyCheck = { readonly ok: true } | { readonly ok: false; readonly problems: string[] };

const MAX_PROBLEMS = 5;

function messages(errors: readonly cedar.DetailedError[]): string[] {
  return errors.slice(0, MAX_PROBLEMS).map((e) => e.message);
}

/**
 * Checks one tenant policy: exactly one static policy (no templates), that parses and validates
 * against the schema in strict mode.
 */
export function checkPolicy(id: string, text: string): PolicyCheck {
  const parts = cedar.policySetTextToParts(text);
  if (parts.type === 'failure') return { ok: false, problems: messages(parts.errors) };
  if (parts.policy_templates.length > 0) return { ok: false, problems: ['templates are not supported'] };
  if (parts.policies.length !== 1)
    return { ok: false, problems: [`exactly one policy is expected, found ${parts.policies.length}`] };
  const json = cedar.policyToJson(text);
  if (json.type === 'failure') return { ok: false, problems: messages(json.errors) };
  const answer = cedar.validate({
    schema: CEDAR_SCHEMA,
    policies: { staticPolicies: { [id]: tenantLiteralsAsIds(json.json) } },
  });
  if (answer.type === 'failure') return { ok: false, problems: messages(answer.errors) };
  if (answer.validationErrors.length > 0)
    return {
      ok: false,
      problems: answer.validationErrors.slice(0, MAX_PROBLEMS).map((e) => e.error.message),
    };
  return { ok: true };
}

/**
 * The policy with every `Tenant::"id"` literal in its conditions read as the string "id": records carry
 * their tenant as a String (CEDAR_SCHEMA), so `resource.tenant == Tenant::"tn_1"` keeps its meaning
 * (a tenant policy stored before the change included) instead of silently never matching. Scope
 * constraints are left alone: no record is a member of a tenant, before or after.
 */
export function tenantLiteralsAsIds(policy: cedar.PolicyJson): cedar.PolicyJson {
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node === null || typeof node !== 'object') return node;
    const value = (node as { Value?: unknown }).Value;
    if (value !== null && typeof value === 'object' && '__entity' in value) {
      const uid = (value as { __entity: { type?: unknown; id?: unknown } }).__entity;
      if (uid.type === 'Tenant' && typeof uid.id === 'string') return { Value: uid.id };
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, rewrite(v)]));
  };
  const { conditions, ...scope } = policy;
  return { ...scope, conditions: rewrite(conditions) as cedar.PolicyJson['conditions'] };
}

/** True when no policy names a record other than actions, roles and tenants by literal. */
function isShapeSafe(parsed: readonly cedar.PolicyJson[]): boolean {
  const safe = (node: unknown): boolean => {
    if (Array.isArray(node)) return node.every(safe);
    if (node === null || typeof node !== 'object') return true;
    const { type, id } = node as { type?: unknown; id?: unknown };
    if (typeof type === 'string' && typeof id === 'string' && !SHAPE_SAFE_LITERAL_TYPES.has(type))
      return false;
    return Object.values(node).every(safe);
  };
  return parsed.every(safe);
}

/**
 * The actions a policy's scope can match. The schema has no action groups, so `action in [A, B]`
 * matches exactly A and B. A policy outside an action's scope can neither be satisfied nor fail for
 * it, so leaving it out of that action's sub-set changes no decision, only the cost of one.
 */
function actionsOf(policy: cedar.PolicyJson): ReadonlySet<string> | 'all' {
  const scope = policy.action;
  if (scope.op === 'All') return 'all';
  const uid = (e: cedar.EntityUidJson) => ('__entity' in e ? e.__entity.id : e.id);
  if (scope.op === '==') return 'entity' in scope ? new Set([uid(scope.entity)]) : 'all';
  return new Set('entities' in scope ? scope.entities.map(uid) : [uid(scope.entity)]);
}

/**
 * Every attribute name a policy reads, of any entity or of the context: `.` and `has` nodes of its
 * JSON form (`has a.b` lists each name). An attribute no policy of a set names cannot change one of
 * its decisions, so the engine need not be sent it.
 */
function attributesRead(policy: cedar.PolicyJson): Set<string> {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if ((key === '.' || key === 'has') && value !== null && typeof value === 'object') {
        const attr = (value as { attr?: unknown }).attr;
        for (const name of Array.isArray(attr) ? attr : [attr]) if (typeof name === 'string') names.add(name);
      }
      walk(value);
    }
  };
  walk(policy);
  return names;
}

/** An entity with only the attributes in `names` (uid and parents unchanged). */
function slim(entity: Entity, names: ReadonlySet<string>): Entity {
  const attrs: Record<string, CedarValue> = {};
  for (const name in entity.attrs) if (names.has(name)) attrs[name] = entity.attrs[name]!;
  return { uid: entity.uid, attrs, parents: entity.parents };
}

/**
 * The policy decision point: Cedar (`@cedar-policy/cedar-wasm`) with policy sets parsed once and
 * kept in the engine (`statefulIsAuthorized`). Policies are always passed as a record keyed by id,
 * so decisions name the real ids (a single policy string would report `policy0…N`).
 */
export function createPdp() {
  const instance = randomBytes(6).toString('hex');

  return {
    /** Parses a policy set into the engine under `name` (replacing an earlier version). */
    load(name: string, version: number, policies: Readonly<Record<string, string>>): LoadedPolicySet {
      const parsed = Object.entries(policies).map(([id, text]) => {
        const parsed = cedar.policyToJson(text);
        if (parsed.type === 'failure')
          throw new Error(`policy ${id} does not parse: ${messages(parsed.errors).join('; ')}`);
        const json = tenantLiteralsAsIds(parsed.json);
        return { id, json, actions: actionsOf(json), reads: attributesRead(json) };
      });
      const keys = {} as Record<ActionId, string>;
      const reads = {} as Record<ActionId, ReadonlySet<string>>;
      for (const action of ACTIONS) {
        const key = `${instance}:${name}:${action}`;
        const subset = parsed.filter((p) => p.actions === 'all' || p.actions.has(action));
        const answer = cedar.preparsePolicySet(key, {
          staticPolicies: Object.fromEntries(subset.map((p) => [p.id, p.json])),
        });
        if (answer.type === 'failure')
          throw new Error(`policy set ${name} does not parse: ${messages(answer.errors).join('; ')}`);
        keys[action] = key;
        reads[action] = new Set(subset.flatMap((p) => [...p.reads]));
      }
      return {
        keys,
        reads,
        version,
        ids: Object.keys(policies),
        shapeSafe: isShapeSafe(parsed.map((p) => p.json)),
      };
    },

    /**
     * One Cedar decision. Any evaluation error denies. The engine is sent only the attributes the
     * action's policies read: turning JavaScript values into Cedar values is most of a call's cost.
     */
    decide(set: LoadedPolicySet, request: DecisionRequest): Decision {
      const reads = set.reads[request.action];
      const context: Record<string, CedarValue> = {};
      for (const [name, value] of Object.entries(request.context) as [string, CedarValue][])
        if (reads.has(name)) context[name] = value;
      const entities = [request.principal, request.resource, ...(request.related ?? [])];
      const answer = cedar.statefulIsAuthorized({
        principal: request.principal.uid,
        action: { type: 'Action', id: request.action },
        resource: request.resource.uid,
        context,
        entities: entities.map((e) => slim(e, reads)),
        preparsedPolicySetId: set.keys[request.action],
      });
      if (answer.type === 'failure') return { allowed: false, policyIds: [], errored: true };
      const { decision, diagnostics } = answer.response;
      if (diagnostics.errors.length > 0) {
        return { allowed: false, policyIds: diagnostics.errors.map((e) => e.policyId), errored: true };
      }
      return { allowed: decision === 'allow', policyIds: diagnostics.reason, errored: false };
    },
  };
}

export type Pdp = ReturnType<typeof createPdp>;

/** Validates the default set against the schema (a programming error if it fails). */
export function checkPolicySet(policies: Readonly<Record<string, string>>): string[] {
  const staticPolicies: Record<string, cedar.Policy> = {};
  for (const [id, text] of Object.entries(policies)) {
    const json = cedar.policyToJson(text);
    if (json.type === 'failure') return messages(json.errors).map((m) => `${id}: ${m}`);
    staticPolicies[id] = tenantLiteralsAsIds(json.json);
  }
  const answer = cedar.validate({ schema: CEDAR_SCHEMA, policies: { staticPolicies } });
  if (answer.type === 'failure') return messages(answer.errors);
  return answer.validationErrors.map((e) => `${e.policyId}: ${e.error.message}`);
}

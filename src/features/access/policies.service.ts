import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import * as repo from './access.repository.ts';
import { addPolicyInput, type AddPolicyInput } from './access.schema.ts';
import type { AccessPoliciesTable } from './access.table.ts';
import { DEFAULT_POLICIES } from './default-policies.ts';
import { tenantResource } from './entities.ts';
import { checkPolicy, type LoadedPolicySet, type Pdp } from './pdp.ts';
import type { AccessSession } from './sessions.ts';

/** A tenant policy as the API shows it (policy text is configuration, never personal data). */
export interface TenantPolicy {
  readonly id: string;
  readonly description: string;
  readonly text: string;
  readonly status: 'active' | 'disabled';
  readonly addedInVersion: number;
  readonly disabledInVersion: number | null;
  readonly createdBy: string;
  readonly createdAt: string;
}

function toPolicy(row: AccessPoliciesTable): TenantPolicy {
  return {
    id: row.id,
    description: row.description,
    text: row.text,
    status: row.status,
    addedInVersion: Number(row.added_in_version),
    disabledInVersion: row.disabled_in_version === null ? null : Number(row.disabled_in_version),
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

/**
 * The policy set in force per tenant: the defaults plus the tenant's active policies, loaded into the
 * engine once per version. Every request reads the version (one indexed row), so a change made by any
 * process applies to the next request everywhere.
 */
export function createPolicyStore(deps: { db: Db; pdp: Pdp }) {
  const defaults = deps.pdp.load('default', 0, DEFAULT_POLICIES);
  const loaded = new Map<string, LoadedPolicySet>();

  return {
    async current(tenantId: string): Promise<LoadedPolicySet> {
      const version = await repo.policySetVersion(deps.db, tenantId);
      if (version === 0) return defaults;
      const have = loaded.get(tenantId);
      if (have?.version === version) return have;
      const rows = await repo.listPolicies(deps.db, tenantId, 'active');
      // Keyed by version: a request still holding the previous set keeps deciding with exactly it.
      const set = deps.pdp.load(`${tenantId}@${version}`, version, {
        ...DEFAULT_POLICIES,
        ...Object.fromEntries(rows.map((r) => [r.id, r.text])),
      });
      if ((loaded.get(tenantId)?.version ?? 0) < version) loaded.set(tenantId, set);
      return set;
    },
  };
}

export type PolicyStore = ReturnType<typeof createPolicyStore>;

/** Tenant policies: add (validated against the schema), list, disable; each change bumps the version and is audited. */
export function createTenantPolicies(deps: { db: Db; audit: Pick<AuditService, 'append'>; clock: Clock }) {
  const { db } = deps;

  function record(
    session: AccessSession,
    id: string,
    detail: Record<string, unknown>,
    policyIds: readonly string[],
  ) {
    return {
      tenantId: session.actor.tenantId,
      actor: session.auditActor,
      action: 'policy_change' as const,
      target: { type: 'policy', id },
      outcome: 'success' as const,
      policyIds,
      detail,
      clientIp: session.actor.ip,
      requestId: session.actor.requestId,
    };
  }

  return {
    async list(session: AccessSession) {
      const tenantId = session.actor.tenantId;
      await session.enforce('readPolicies', tenantResource('Workspace', tenantId), {
        type: 'workspace',
        id: tenantId,
        what: 'Workspace',
      });
      const rows = await repo.listPolicies(db, tenantId);
      return {
        version: await repo.policySetVersion(db, tenantId),
        defaults: Object.keys(DEFAULT_POLICIES),
        policies: rows.map(toPolicy),
      };
    },

    async add(session: AccessSession, input: AddPolicyInput): Promise<TenantPolicy> {
      const tenantId = session.actor.tenantId;
      const decision = await session.enforce('managePolicies', tenantResource('Workspace', tenantId), {
        type: 'workspace',
        id: tenantId,
        what: 'Workspace',
      });
      const v = parseInput(addPolicyInput, input);
      const id = newId('tp');
      const check = checkPolicy(id, v.text);
      if (!check.ok)
        throw new ValidationError(`Invalid policy: ${check.problems[0] ?? 'rejected'}`, {
          problems: check.problems,
        });
      const at = deps.clock.now().toISOString();
      return db.transaction().execute(async (trx) => {
        const version = await repo.bumpPolicySetVersion(trx, tenantId, at);
        const row: AccessPoliciesTable = {
          id,
          tenant_id: tenantId,
          description: v.description,
          text: v.text,
          status: 'active',
          added_in_version: version,
          disabled_in_version: null,
          created_by: session.actor.id,
          created_at: at,
          disabled_by: null,
          disabled_at: null,
        };
        await repo.insertPolicy(trx, row);
        await deps.audit.append(trx, record(session, id, { change: 'add', version }, decision.policyIds));
        return toPolicy(row);
      });
    },

    async disable(session: AccessSession, id: string): Promise<TenantPolicy> {
      const tenantId = session.actor.tenantId;
      const decision = await session.enforce('managePolicies', tenantResource('Workspace', tenantId), {
        type: 'workspace',
        id: tenantId,
        what: 'Workspace',
      });
      const at = deps.clock.now().toISOString();
      return db.transaction().execute(async (trx) => {
        const row = await repo.findPolicy(trx, tenantId, id);
        if (!row) throw new NotFoundError('Policy');
        if (row.status !== 'active') throw new ConflictError('The policy is already disabled');
        const version = await repo.bumpPolicySetVersion(trx, tenantId, at);
        if (!(await repo.disablePolicy(trx, tenantId, id, { version, by: session.actor.id, at })))
          throw new ConflictError('The policy is already disabled');
        await deps.audit.append(trx, record(session, id, { change: 'disable', version }, decision.policyIds));
        return toPolicy({
          ...row,
          status: 'disabled',
          disabled_in_version: version,
          disabled_by: session.actor.id,
          disabled_at: at,
        });
      });
    },
  };
}

import type { Clock } from '../../lib/clock.ts';
import {
  ForbiddenError,
  NotFoundError,
  StepUpRequiredError,
  TrainingLapsedError,
  ValidationError,
  type AppError,
} from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Db } from '../../db/database.ts';
import type { Actor } from '../../http/actor.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { OperatorRole } from '../operators/operators.table.ts';
import * as repo from './access.repository.ts';
import type { ActionId } from './cedar-schema.ts';
import { createDecisionSession, type DecideOptions } from './decisions.ts';
import { GUARD_IDS } from './default-policies.ts';
import type { ContactFacts, PrincipalFacts } from './entities.ts';
import type { Decision, Entity, Pdp } from './pdp.ts';
import type { PolicyStore } from './policies.service.ts';

export const REQUIRED_TRAINING = ['security_training', 'policy_ack'] as const;

const seconds = (iso: string | null | undefined) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);

/** What a denied request is about, for the audit entry and a 404 that names the right thing. */
export interface Target {
  readonly type: string;
  readonly id: string;
  /** "Contact", "Approval request"…: what a 404 says was not found. */
  readonly what: string;
}

/**
 * Opens the decision session of one request: loads the operator's training and break-glass facts
 * and the tenant's current policy set, reads the clock once, and offers `enforce`, which turns a
 * deny into the right answer (404 across tenants, 401 step-up, 403 training/forbidden) and records
 * an `authz_fail` audit entry with the deciding policy ids.
 */
export function createAccessSessions(deps: {
  db: Db;
  pdp: Pdp;
  policies: PolicyStore;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
  logger: Logger;
}) {
  const { db } = deps;

  async function factsOf(actor: Actor, role: OperatorRole): Promise<PrincipalFacts> {
    const facts = await repo.principalFacts(db, actor.tenantId, actor.id);
    const expiries = REQUIRED_TRAINING.map((kind) =>
      seconds(facts.training.find((t) => t.kind === kind)?.expires_at),
    );
    return {
      tenantId: actor.tenantId,
      operatorId: actor.id,
      role,
      trainingExpiresAt: Math.min(...expiries),
      lastMfaAt: seconds(actor.mfaVerifiedAt),
      breakGlassUntil: seconds(facts.breakGlassUntil),
    };
  }

  function denial(decision: Decision, facts: PrincipalFacts, target: Target): AppError {
    const ids = new Set(decision.policyIds);
    const details = { policyIds: [...decision.policyIds] };
    if (ids.has(GUARD_IDS.tenant)) return new NotFoundError(target.what);
    if (ids.has(GUARD_IDS.training))
      return new TrainingLapsedError(
        'Your security training or policy acknowledgement has lapsed: personal data stays hidden until you renew it',
        {
          ...details,
          trainingExpiresAt:
            facts.trainingExpiresAt > 0 ? new Date(facts.trainingExpiresAt * 1000).toISOString() : null,
        },
      );
    if (ids.has(GUARD_IDS.stepUp)) return new StepUpRequiredError();
    if (ids.has(GUARD_IDS.reason))
      return new ValidationError('A reason is required for this action', details);
    if (ids.has(GUARD_IDS.fourEyes))
      return new ForbiddenError(
        'A request cannot be approved by the person who made it; a second person must',
      );
    return new ForbiddenError(
      decision.errored ? 'Not allowed: a policy could not be evaluated' : 'Not allowed by policy',
    );
  }

  async function open(actor: Actor) {
    if (actor.type !== 'operator' || actor.role === 'vendor')
      throw new ForbiddenError('Only operators have access here');
    const [set, principal] = await Promise.all([
      deps.policies.current(actor.tenantId),
      factsOf(actor, actor.role),
    ]);
    const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
    const session = createDecisionSession({ pdp: deps.pdp, set, principal, nowSeconds });

    async function refuse(
      action: ActionId,
      decision: Decision,
      target: Target,
      field?: string,
    ): Promise<never> {
      const error = denial(decision, principal, target);
      if (!(error instanceof NotFoundError)) {
        try {
          await db.transaction().execute((trx) =>
            deps.audit.append(trx, {
              tenantId: actor.tenantId,
              actor: { type: 'operator', id: actor.id },
              action: 'authz_fail',
              target: { type: target.type, id: target.id },
              outcome: 'denied',
              policyIds: decision.policyIds,
              detail: { action, ...(field ? { field } : {}), code: error.code },
              clientIp: actor.ip,
              requestId: actor.requestId,
            }),
          );
        } catch (auditError) {
          deps.logger.error({ err: auditError }, 'access: could not record an authorization failure');
        }
      }
      throw error;
    }

    return {
      principal: session.principal,
      nowSeconds: session.nowSeconds,
      mfaAgeSeconds: session.mfaAgeSeconds,
      policySetVersion: session.policySetVersion,
      decide: session.decide,
      decideContact: session.decideContact,
      cedarCalls: session.cedarCalls,
      actor,
      auditActor: { type: 'operator' as const, id: actor.id },

      /** Decides about any resource; a deny throws (after recording `authz_fail`). */
      async enforce(action: ActionId, resource: Entity, target: Target, options: DecideOptions = {}) {
        const decision = session.decide(action, resource, options);
        return decision.allowed ? decision : refuse(action, decision, target, options.field);
      },

      /** Like `enforce`, about a contact (decided by shape when that is sound). */
      async enforceContact(action: ActionId, facts: ContactFacts, options: DecideOptions = {}) {
        const decision = session.decideContact(action, facts, options);
        const target = { type: 'contact', id: facts.contactId, what: 'Contact' };
        return decision.allowed ? decision : refuse(action, decision, target, options.field);
      },
    };
  }

  return { open };
}

export type AccessSession = Awaited<ReturnType<ReturnType<typeof createAccessSessions>['open']>>;

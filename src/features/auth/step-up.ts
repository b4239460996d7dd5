import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import type { Db } from '../../db/database.ts';
import type { Actor } from '../../http/actor.ts';
import type { Operator } from '../operators/operators.service.ts';
import type { AuthAudit, RequestContext } from './auth-audit.ts';
import type { Factors } from './factors.ts';
import type { Lockout } from './lockout.ts';
import type { SecondFactorCheck } from './second-factor.ts';
import type { SessionRecord, SessionService } from './sessions.ts';

/** The default freshness window for sensitive actions (ASVS 7.5.1: MFA changes, reveals, exports). */
export const STEP_UP_SECONDS = 300;

export class StepUpRequiredError extends AppError {
  constructor(maxAgeSeconds: number) {
    super(401, 'step_up_required', 'This action needs a second factor verified in the last few minutes', {
      maxAgeSeconds,
    });
  }
}

/**
 * The guard for sensitive actions: the caller's session must have verified a second factor within
 * `maxAgeSeconds`, else `401 step_up_required` (the console then runs a step-up and retries).
 * @example requireFreshMfa(requireActor(request)); // before a reveal, export or key operation
 */
export function requireFreshMfa(actor: Actor, maxAgeSeconds = STEP_UP_SECONDS, now: Date = new Date()): void {
  const at = actor.mfaVerifiedAt ? Date.parse(actor.mfaVerifiedAt) : NaN;
  const age = (now.getTime() - at) / 1000;
  if (actor.type !== 'operator' || !Number.isFinite(age) || age < -60 || age > maxAgeSeconds) {
    throw new StepUpRequiredError(maxAgeSeconds);
  }
}

/** Re-verifies a second factor inside a live session and gives the session a new secret. */
export function createStepUp(deps: {
  db: Db;
  clock: Clock;
  factors: Factors;
  lockout: Lockout;
  sessions: SessionService;
  secondFactor: SecondFactorCheck;
  audit: AuthAudit;
}) {
  return {
    /** Same guard with the injected clock (the routes' own use). */
    require(actor: Actor, maxAgeSeconds = STEP_UP_SECONDS): void {
      requireFreshMfa(actor, maxAgeSeconds, deps.clock.now());
    },

    async webauthnOptions(session: SessionRecord, op: Operator) {
      const options = await deps.factors.authenticationOptions(op);
      await deps.sessions.setChallenge(session, options.challenge);
      return options;
    },

    async verify(
      session: SessionRecord,
      op: Operator,
      input: { method: 'totp' | 'webauthn'; body: unknown },
      ctx: RequestContext,
    ): Promise<SessionRecord> {
      const key = await deps.secondFactor.check(op, session, input, ctx);
      const rotated = await deps.db.transaction().execute(async (trx) => {
        const next = await deps.sessions.rotate(trx, session, input.method);
        const who = { type: 'operator' as const, id: op.id };
        await deps.audit(
          trx,
          {
            tenantId: op.tenantId,
            actor: who,
            action: 'authn_mfa_success',
            target: { type: 'session', id: session.id },
            outcome: 'success',
            detail: { method: input.method, purpose: 'step_up' },
          },
          ctx,
        );
        return next;
      });
      await deps.lockout.reset(key);
      return rotated;
    },
  };
}

export type StepUp = ReturnType<typeof createStepUp>;

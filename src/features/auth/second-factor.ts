import { z } from 'zod';
import { UnauthenticatedError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { Operator } from '../operators/operators.service.ts';
import type { AuthAudit, RequestContext } from './auth-audit.ts';
import type { FactorMethod, FactorResult, Factors } from './factors.ts';
import type { Lockout } from './lockout.ts';
import type { SessionRecord, SessionService } from './sessions.ts';
import type { SettingsService } from './settings.ts';
import { credentialJson } from './webauthn.ts';

export const codeInput = z.object({ code: z.string().min(1).max(64) }).strict();
export const webauthnInput = z.object({ response: credentialJson }).strict();

export type FactorInput =
  | { method: 'totp'; body: unknown }
  | { method: 'recovery'; body: unknown }
  | { method: 'webauthn'; body: unknown };

/**
 * Checks one second factor of an operator under the same guessing limits as passwords: each check
 * is counted before it runs, a failure is audited with its reason class, a success clears nothing
 * by itself (the caller finishes sign-in and resets the counter).
 */
export function createSecondFactorCheck(deps: {
  db: Db;
  factors: Factors;
  lockout: Lockout;
  sessions: SessionService;
  settings: SettingsService;
  audit: AuthAudit;
}) {
  const { factors, lockout } = deps;

  /** The factors this operator may use to sign in, given the tenant's passkey rule. */
  async function allowedMethods(op: Operator): Promise<FactorMethod[]> {
    const methods = await factors.methods(op);
    const strict =
      (op.role === 'admin' || op.role === 'owner') &&
      (await deps.settings.get(op.tenantId)).requirePasskeyForAdmins;
    return strict ? methods.filter((m) => m !== 'totp') : methods;
  }

  async function run(op: Operator, holder: SessionRecord, method: FactorMethod, value: unknown) {
    if (!(await allowedMethods(op)).includes(method))
      return { ok: false, reason: 'method_not_allowed' } as const;
    if (method === 'totp') return factors.verifyTotp(op, value as string);
    if (method === 'recovery') return factors.useRecoveryCode(op, value as string);
    const challenge = await deps.sessions.takeChallenge(holder);
    if (!challenge) return { ok: false, reason: 'webauthn_no_challenge' } as const;
    return factors.verifyPasskey(op, value, challenge);
  }

  return {
    allowedMethods,

    /** Throws UnauthenticatedError (or LockedOutError) unless the factor checks out. */
    async check(
      op: Operator,
      holder: SessionRecord,
      input: FactorInput,
      ctx: RequestContext,
    ): Promise<string> {
      if (ctx.ip) await lockout.checkIp(ctx.ip);
      const value =
        input.method === 'webauthn'
          ? parseInput(webauthnInput, input.body).response
          : parseInput(codeInput, input.body).code;
      const attempt = await lockout.begin(await lockout.accountKey(op.tenantId, op.email));
      const result: FactorResult = await run(op, holder, input.method, value);
      if (result.ok) return attempt.key;
      if (ctx.ip) await lockout.ipFailure(ctx.ip);
      const engaged = lockout.engaged(attempt);
      const who = { type: 'operator' as const, id: op.id };
      await deps.db.transaction().execute(async (trx) => {
        await deps.audit(
          trx,
          {
            tenantId: op.tenantId,
            actor: who,
            action: 'authn_mfa_fail',
            target: who,
            outcome: 'failure',
            reason: result.reason,
            detail: { method: input.method, failures: attempt.failures },
          },
          ctx,
        );
        if (engaged) {
          await deps.audit(
            trx,
            {
              tenantId: op.tenantId,
              actor: who,
              action: 'authn_login_lock',
              target: who,
              outcome: 'denied',
              reason: engaged,
            },
            ctx,
          );
        }
      });
      throw new UnauthenticatedError('The second factor was not accepted');
    },
  };
}

export type SecondFactorCheck = ReturnType<typeof createSecondFactorCheck>;

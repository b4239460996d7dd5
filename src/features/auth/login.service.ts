import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { NotFoundError, UnauthenticatedError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { Operator, OperatorService } from '../operators/operators.service.ts';
import type { Tenant, TenantService } from '../tenants/tenants.service.ts';
import { tenantSlug } from '../tenants/tenants.schema.ts';
import type { AuthAudit, AuthEvent, RequestContext } from './auth-audit.ts';
import * as credentials from './credentials.repository.ts';
import type { FactorMethod, Factors } from './factors.ts';
import type { Lockout } from './lockout.ts';
import type { PasswordHasher } from './passwords.ts';
import { PASSWORD_MAX } from './password-policy.ts';
import type { FactorInput, SecondFactorCheck } from './second-factor.ts';
import { PREAUTH_SECONDS, type SessionRecord, type SessionService } from './sessions.ts';
import type { SettingsService } from './settings.ts';

export const loginInput = z
  .object({
    tenant: z.string().min(1).max(64),
    email: z.string().min(1).max(254),
    password: z
      .string()
      .min(1)
      .max(PASSWORD_MAX * 4),
  })
  .strict();

/** The one answer for every failed password step: unknown tenant, unknown account, wrong password. */
const invalid = () => new UnauthenticatedError('The tenant, e-mail or password is wrong');

/**
 * Sign-in: password first (a short pre-auth session), then a second factor (the real session).
 * Unknown accounts cost the same argon2 work and get the same answer as wrong passwords.
 */
export function createLoginService(deps: {
  db: Db;
  clock: Clock;
  tenants: Pick<TenantService, 'getBySlug'>;
  operators: Pick<OperatorService, 'findByEmail' | 'getById'>;
  passwords: PasswordHasher;
  lockout: Lockout;
  sessions: SessionService;
  settings: SettingsService;
  factors: Factors;
  secondFactor: SecondFactorCheck;
  audit: AuthAudit;
}) {
  const { db, lockout, sessions } = deps;

  async function findTenant(slug: string): Promise<Tenant | undefined> {
    if (!tenantSlug.safeParse(slug).success) return undefined;
    try {
      return await deps.tenants.getBySlug(slug);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async function record(events: AuthEvent[], ctx: RequestContext): Promise<void> {
    await db.transaction().execute(async (trx) => {
      for (const event of events) await deps.audit(trx, event, ctx);
    });
  }

  /** Loads the operator behind a pre-auth session, or says the sign-in must start again. */
  async function preauthOperator(
    secret: string | undefined,
  ): Promise<{ preauth: SessionRecord; op: Operator }> {
    const preauth = await sessions.resolve(secret, 'preauth');
    if (!preauth) throw new UnauthenticatedError('Sign-in expired or not started; enter the password again');
    const op = await deps.operators.getById(preauth.tenantId, preauth.operatorId);
    if (op.status !== 'active') throw new UnauthenticatedError('Sign-in expired or not started');
    return { preauth, op };
  }

  return {
    /** Step 1: the password. Returns a pre-auth session and the second factors the operator may use. */
    async password(
      body: unknown,
      ctx: RequestContext,
    ): Promise<{ preauth: SessionRecord; methods: FactorMethod[] }> {
      const input = parseInput(loginInput, body);
      if (ctx.ip) await lockout.checkIp(ctx.ip);
      const tenant = await findTenant(input.tenant);
      if (!tenant) {
        await deps.passwords.verifyDummy(input.password);
        if (ctx.ip) await lockout.ipFailure(ctx.ip);
        throw invalid();
      }
      const attempt = await lockout.begin(await lockout.accountKey(tenant.id, input.email));
      const op = await deps.operators.findByEmail(tenant.id, input.email);
      const stored =
        op?.status === 'active' ? await credentials.findPassword(db, tenant.id, op.id) : undefined;
      const result = stored
        ? await deps.passwords.verify(
            tenant.id,
            { hash: stored.hash, pepperVersion: stored.pepper_version },
            input.password,
          )
        : { ok: await deps.passwords.verifyDummy(input.password), stale: false };

      if (!op || !result.ok) {
        if (ctx.ip) await lockout.ipFailure(ctx.ip);
        const who = { type: 'operator' as const, id: op?.id ?? 'unknown' };
        const events: AuthEvent[] = [
          {
            tenantId: tenant.id,
            actor: who,
            action: 'authn_login_fail',
            target: who,
            outcome: 'failure',
            reason: !op ? 'unknown_account' : stored ? 'bad_password' : `account_${op.status}`,
            detail: { failures: attempt.failures },
          },
        ];
        const engaged = lockout.engaged(attempt);
        if (engaged)
          events.push({ ...events[0]!, action: 'authn_login_lock', outcome: 'denied', reason: engaged });
        await record(events, ctx);
        throw invalid();
      }

      if (result.stale) {
        const fresh = await deps.passwords.hash(tenant.id, input.password);
        await credentials.upsertPassword(db, {
          operator_id: op.id,
          tenant_id: tenant.id,
          hash: fresh.hash,
          pepper_version: fresh.pepperVersion,
          updated_at: deps.clock.now().toISOString(),
        });
      }
      await lockout.refund(attempt);
      const methods = await deps.secondFactor.allowedMethods(op);
      const preauth = await db.transaction().execute((trx) =>
        sessions.create(trx, {
          tenantId: tenant.id,
          operatorId: op.id,
          kind: 'preauth',
          idleSeconds: PREAUTH_SECONDS,
          lifetimeSeconds: PREAUTH_SECONDS,
        }),
      );
      return { preauth, methods };
    },

    /** WebAuthn challenge for the second step, bound to the pre-auth session. */
    async webauthnOptions(preauthSecret: string | undefined) {
      const { preauth, op } = await preauthOperator(preauthSecret);
      const options = await deps.factors.authenticationOptions(op);
      await sessions.setChallenge(preauth, options.challenge);
      return options;
    },

    /** Step 2: a second factor. Ends the pre-auth session and opens a full one with a new secret. */
    async secondFactor(
      preauthSecret: string | undefined,
      input: FactorInput,
      ctx: RequestContext,
    ): Promise<{ session: SessionRecord; operator: Operator }> {
      const { preauth, op } = await preauthOperator(preauthSecret);
      const throttleKey = await deps.secondFactor.check(op, preauth, input, ctx);
      const settings = await deps.settings.get(op.tenantId);
      const session = await db.transaction().execute(async (trx) => {
        await sessions.revoke(trx, op.tenantId, op.id, preauth.id);
        const created = await sessions.create(trx, {
          tenantId: op.tenantId,
          operatorId: op.id,
          kind: 'session',
          idleSeconds: settings.idleTimeoutMinutes * 60,
          lifetimeSeconds: settings.absoluteTimeoutHours * 3600,
          mfaMethod: input.method,
        });
        const who = { type: 'operator' as const, id: op.id };
        const base = { tenantId: op.tenantId, actor: who, target: who, outcome: 'success' as const };
        if (input.method === 'recovery')
          await deps.audit(trx, { ...base, action: 'authn_recovery_code_used' }, ctx);
        await deps.audit(
          trx,
          { ...base, action: 'authn_login_success', detail: { method: input.method, session: created.id } },
          ctx,
        );
        return created;
      });
      await lockout.reset(throttleKey);
      return { session, operator: op };
    },

    /** Ends the caller's own session. */
    async logout(session: SessionRecord, ctx: RequestContext): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await sessions.revoke(trx, session.tenantId, session.operatorId, session.id);
        const who = { type: 'operator' as const, id: session.operatorId };
        await deps.audit(
          trx,
          {
            tenantId: session.tenantId,
            actor: who,
            action: 'authn_logout',
            target: { type: 'session', id: session.id },
            outcome: 'success',
          },
          ctx,
        );
      });
    },
  };
}

export type LoginService = ReturnType<typeof createLoginService>;

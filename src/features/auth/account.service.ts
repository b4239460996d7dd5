import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError, UnauthenticatedError, ValidationError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { Operator } from '../operators/operators.service.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { AuthAudit, AuthEvent, RequestContext } from './auth-audit.ts';
import * as credentials from './credentials.repository.ts';
import { contextWords, passkeyInput } from './enrollment.service.ts';
import type { Factors } from './factors.ts';
import { assertAcceptablePassword, PASSWORD_MAX } from './password-policy.ts';
import type { PasswordHasher } from './passwords.ts';
import type { SessionRecord, SessionService } from './sessions.ts';
import type { SettingsService } from './settings.ts';

export const changePasswordInput = z
  .object({
    currentPassword: z
      .string()
      .min(1)
      .max(PASSWORD_MAX * 4),
    newPassword: z
      .string()
      .min(1)
      .max(PASSWORD_MAX * 4),
  })
  .strict();
export const renameInput = z.object({ name: z.string().trim().min(1).max(64) }).strict();

/** What signed-in operators do to their own account: sessions, password, passkeys, recovery codes. */
export function createAccountService(deps: {
  db: Db;
  clock: Clock;
  tenants: Pick<TenantService, 'getById'>;
  passwords: PasswordHasher;
  factors: Factors;
  sessions: SessionService;
  settings: SettingsService;
  audit: AuthAudit;
}) {
  const { db, sessions, factors } = deps;
  const self = (op: Operator, action: AuthEvent['action'], detail?: Record<string, unknown>): AuthEvent => ({
    tenantId: op.tenantId,
    actor: { type: 'operator', id: op.id },
    action,
    target: { type: 'operator', id: op.id },
    outcome: 'success',
    ...(detail ? { detail } : {}),
  });

  return {
    /** Signs out every other session of the caller. */
    async revokeOthers(session: SessionRecord, op: Operator, ctx: RequestContext): Promise<number> {
      return db.transaction().execute(async (trx) => {
        const ended = await sessions.revokeAll(trx, op.tenantId, op.id, session.id);
        await deps.audit(trx, self(op, 'session_revoked', { scope: 'others', count: ended }), ctx);
        return ended;
      });
    },

    async revokeOne(op: Operator, id: string, ctx: RequestContext): Promise<void> {
      await db.transaction().execute(async (trx) => {
        if (!(await sessions.revoke(trx, op.tenantId, op.id, id))) throw new NotFoundError('Session');
        await deps.audit(trx, { ...self(op, 'session_revoked'), target: { type: 'session', id } }, ctx);
      });
    },

    /**
     * Needs the current password (ASVS 6.2.3). Every session ends; the caller's continues under a new
     * secret, so a stolen cookie dies with the old password.
     */
    async changePassword(session: SessionRecord, op: Operator, body: unknown, ctx: RequestContext) {
      const input = parseInput(changePasswordInput, body);
      const stored = await credentials.findPassword(db, op.tenantId, op.id);
      const check = stored
        ? await deps.passwords.verify(
            op.tenantId,
            { hash: stored.hash, pepperVersion: stored.pepper_version },
            input.currentPassword,
          )
        : { ok: false };
      if (!check.ok) throw new UnauthenticatedError('The current password is wrong');
      await assertAcceptablePassword(
        input.newPassword,
        contextWords(await deps.tenants.getById(op.tenantId), op.email),
      );
      const fresh = await deps.passwords.hash(op.tenantId, input.newPassword);
      return db.transaction().execute(async (trx) => {
        await credentials.upsertPassword(trx, {
          operator_id: op.id,
          tenant_id: op.tenantId,
          hash: fresh.hash,
          pepper_version: fresh.pepperVersion,
          updated_at: deps.clock.now().toISOString(),
        });
        const ended = await sessions.revokeAll(trx, op.tenantId, op.id, session.id);
        const next = await sessions.rotate(trx, session, session.mfaMethod ?? 'password');
        await deps.audit(trx, self(op, 'authn_password_change'), ctx);
        await deps.audit(
          trx,
          self(op, 'session_revoked', { scope: 'password_change', count: ended + 1 }),
          ctx,
        );
        return next;
      });
    },

    async passkeyOptions(session: SessionRecord, op: Operator) {
      const options = await factors.registrationOptions(op);
      await sessions.setChallenge(session, options.challenge);
      return options;
    },

    async addPasskey(session: SessionRecord, op: Operator, body: unknown, ctx: RequestContext) {
      const { name, response } = parseInput(passkeyInput, body);
      const challenge = await sessions.takeChallenge(session);
      if (!challenge) throw new ValidationError('Ask for registration options first');
      const id = await db.transaction().execute(async (trx) => {
        const added = await factors.addPasskey(trx, op, response, challenge, name);
        if (added)
          await deps.audit(trx, self(op, 'authn_mfa_enabled', { method: 'webauthn', passkey: added }), ctx);
        return added;
      });
      if (!id) throw new ValidationError('The passkey could not be verified (user verification is required)');
      return { id };
    },

    async renamePasskey(op: Operator, id: string, body: unknown): Promise<void> {
      const { name } = parseInput(renameInput, body);
      if (!(await factors.renamePasskey(op, id, name))) throw new NotFoundError('Passkey');
    },

    /** Removes a passkey unless it is the last second factor (or the last passkey the tenant requires). */
    async removePasskey(op: Operator, id: string, ctx: RequestContext): Promise<void> {
      const methods = await factors.methods(op);
      const passkeys = await factors.listPasskeys(op);
      if (!passkeys.some((p) => p.id === id)) throw new NotFoundError('Passkey');
      const strict =
        (op.role === 'admin' || op.role === 'owner') &&
        (await deps.settings.get(op.tenantId)).requirePasskeyForAdmins;
      if (passkeys.length === 1 && (strict || !methods.includes('totp'))) {
        throw new ConflictError('This is your last second factor; add another one before removing it');
      }
      await db.transaction().execute(async (trx) => {
        await factors.removePasskey(trx, op, id);
        await deps.audit(trx, self(op, 'authn_mfa_disabled', { method: 'webauthn', passkey: id }), ctx);
      });
    },

    async regenerateRecoveryCodes(op: Operator, ctx: RequestContext): Promise<string[]> {
      return db.transaction().execute(async (trx) => {
        const codes = await factors.newRecoveryCodes(trx, op);
        await deps.audit(trx, self(op, 'authn_mfa_enabled', { method: 'recovery', regenerated: true }), ctx);
        return codes;
      });
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;

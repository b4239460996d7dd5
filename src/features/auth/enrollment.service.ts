import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError, UnauthenticatedError, ValidationError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { CreateOperatorInput } from '../operators/operators.schema.ts';
import type { Operator, OperatorService } from '../operators/operators.service.ts';
import type { Tenant, TenantService } from '../tenants/tenants.service.ts';
import type { AuthAudit, AuthEvent, RequestContext } from './auth-audit.ts';
import * as repo from './auth.repository.ts';
import * as credentials from './credentials.repository.ts';
import type { Factors } from './factors.ts';
import { assertAcceptablePassword, PASSWORD_MAX } from './password-policy.ts';
import type { PasswordHasher } from './passwords.ts';
import { codeInput, webauthnInput } from './second-factor.ts';
import { ENROLL_SECONDS, type SessionRecord, type SessionService } from './sessions.ts';
import type { SettingsService } from './settings.ts';

/** An enrollment link lives 24 hours and works once. */
export const ENROLLMENT_SECONDS = 24 * 3600;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const startInput = z.object({ token: z.string().max(64) }).strict();
export const passwordInput = z
  .object({
    password: z
      .string()
      .min(1)
      .max(PASSWORD_MAX * 4),
  })
  .strict();
export const passkeyInput = webauthnInput.extend({ name: z.string().trim().min(1).max(64) }).strict();

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest();

export type Author = AuthEvent['actor'];

/** Context words a password may not be built on: tenant slug and name, the e-mail's local part. */
export function contextWords(tenant: Tenant, email: string): string[] {
  const local = email.split('@')[0] ?? '';
  return [tenant.slug, ...tenant.name.split(/\s+/), local, ...local.split(/[._+-]/)];
}

/**
 * Enrollment: an admin (or the CLI) creates a pending operator with a one-time link; the operator
 * sets a password and a second factor, gets ten recovery codes, and only then becomes active.
 */
export function createEnrollmentService(deps: {
  db: Db;
  clock: Clock;
  publicUrl: string;
  tenants: Pick<TenantService, 'getById'>;
  operators: Pick<OperatorService, 'create' | 'getById' | 'setStatus'>;
  passwords: PasswordHasher;
  factors: Factors;
  sessions: SessionService;
  settings: SettingsService;
  audit: AuthAudit;
}) {
  const { db, sessions, factors } = deps;
  const iso = () => deps.clock.now().toISOString();

  /** Inserts a fresh link (retiring older ones) inside the caller's transaction. */
  async function issueLink(trx: Db, op: Operator): Promise<{ url: string; expiresAt: string }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(deps.clock.now().getTime() + ENROLLMENT_SECONDS * 1000).toISOString();
    await repo.retireEnrollments(trx, op.tenantId, op.id, iso());
    await repo.insertEnrollment(trx, {
      id: newId('en'),
      token_hash: hashToken(token),
      tenant_id: op.tenantId,
      operator_id: op.id,
      created_at: iso(),
      expires_at: expiresAt,
      used_at: null,
    });
    return { url: `${deps.publicUrl}/enroll#token=${token}`, expiresAt };
  }

  /** The pending operator behind an enrollment session. */
  async function current(secret: string | undefined): Promise<{ session: SessionRecord; op: Operator }> {
    const session = await sessions.resolve(secret, 'enroll');
    if (!session) throw new UnauthenticatedError('Enrollment expired; ask an administrator for a new link');
    const op = await deps.operators.getById(session.tenantId, session.operatorId);
    if (op.status !== 'pending') throw new UnauthenticatedError('This account is already enrolled');
    return { session, op };
  }

  const event = (op: Operator, action: AuthEvent['action'], detail?: Record<string, unknown>): AuthEvent => ({
    tenantId: op.tenantId,
    actor: { type: 'operator', id: op.id },
    action,
    target: { type: 'operator', id: op.id },
    outcome: 'success',
    ...(detail ? { detail } : {}),
  });

  return {
    issueLink,

    /** Creates a pending operator and its first link; `author` is the admin or `cli`. */
    async createOperator(tenant: Tenant, input: CreateOperatorInput, author: Author, ctx: RequestContext) {
      return db.transaction().execute(async (trx) => {
        const operator = await deps.operators.create(trx, tenant, input);
        const link = await issueLink(trx, operator);
        await deps.audit(
          trx,
          {
            tenantId: tenant.id,
            actor: author,
            action: 'user_created',
            target: { type: 'operator', id: operator.id },
            outcome: 'success',
            detail: { role: operator.role },
          },
          ctx,
        );
        return { operator, link };
      });
    },

    /** Uses the link (once) and opens a 30-minute enrollment session; earlier partial credentials go. */
    async start(body: unknown) {
      const { token } = parseInput(startInput, body);
      if (!TOKEN.test(token)) throw new UnauthenticatedError('This enrollment link is not valid any more');
      const session = await db.transaction().execute(async (trx) => {
        const row = await repo.consumeEnrollment(trx, hashToken(token), iso());
        if (!row) return undefined;
        await credentials.deleteCredentials(trx, row.tenant_id, row.operator_id);
        return sessions.create(trx, {
          tenantId: row.tenant_id,
          operatorId: row.operator_id,
          kind: 'enroll',
          idleSeconds: ENROLL_SECONDS,
          lifetimeSeconds: ENROLL_SECONDS,
        });
      });
      if (!session) throw new UnauthenticatedError('This enrollment link is not valid any more');
      const op = await deps.operators.getById(session.tenantId, session.operatorId);
      if (op.status !== 'pending') throw new UnauthenticatedError('This account is already enrolled');
      const tenant = await deps.tenants.getById(op.tenantId);
      const settings = await deps.settings.get(op.tenantId);
      const passkeyRequired =
        settings.requirePasskeyForAdmins && (op.role === 'admin' || op.role === 'owner');
      return { session, operator: op, tenant, passkeyRequired };
    },

    async setPassword(secret: string | undefined, body: unknown): Promise<void> {
      const { op } = await current(secret);
      const { password } = parseInput(passwordInput, body);
      await assertAcceptablePassword(
        password,
        contextWords(await deps.tenants.getById(op.tenantId), op.email),
      );
      const stored = await deps.passwords.hash(op.tenantId, password);
      await credentials.upsertPassword(db, {
        operator_id: op.id,
        tenant_id: op.tenantId,
        hash: stored.hash,
        pepper_version: stored.pepperVersion,
        updated_at: iso(),
      });
    },

    async beginTotp(secret: string | undefined) {
      return factors.beginTotp((await current(secret)).op);
    },

    async confirmTotp(secret: string | undefined, body: unknown): Promise<void> {
      const { op } = await current(secret);
      const result = await factors.verifyTotp(op, parseInput(codeInput, body).code, true);
      if (!result.ok) throw new ValidationError('The code does not match; check the app and try again');
    },

    async passkeyOptions(secret: string | undefined) {
      const { session, op } = await current(secret);
      const options = await factors.registrationOptions(op);
      await sessions.setChallenge(session, options.challenge);
      return options;
    },

    async addPasskey(secret: string | undefined, body: unknown): Promise<{ id: string }> {
      const { session, op } = await current(secret);
      const { name, response } = parseInput(passkeyInput, body);
      const challenge = await sessions.takeChallenge(session);
      const id = challenge
        ? await db.transaction().execute((trx) => factors.addPasskey(trx, op, response, challenge, name))
        : undefined;
      if (!id) throw new ValidationError('The passkey could not be verified (user verification is required)');
      return { id };
    },

    /** Checks the account is complete, activates it and returns the recovery codes (shown once). */
    async finish(secret: string | undefined, ctx: RequestContext): Promise<{ recoveryCodes: string[] }> {
      const { session, op } = await current(secret);
      if (!(await credentials.findPassword(db, op.tenantId, op.id)))
        throw new ConflictError('Set a password first');
      const methods = await factors.methods(op);
      const settings = await deps.settings.get(op.tenantId);
      const strict = settings.requirePasskeyForAdmins && (op.role === 'admin' || op.role === 'owner');
      if (strict && !methods.includes('webauthn'))
        throw new ConflictError('This tenant requires a passkey for your role');
      if (!methods.includes('webauthn') && !methods.includes('totp')) {
        throw new ConflictError('Register a passkey or an authenticator app first');
      }
      return db.transaction().execute(async (trx) => {
        const recoveryCodes = await factors.newRecoveryCodes(trx, op);
        await deps.operators.setStatus(trx, op.tenantId, op.id, 'active');
        await sessions.revoke(trx, op.tenantId, op.id, session.id);
        const enabled = [...methods.filter((m) => m !== 'recovery'), 'recovery'];
        await deps.audit(trx, event(op, 'authn_mfa_enabled', { methods: enabled }), ctx);
        await deps.audit(trx, event(op, 'user_updated', { status: 'active' }), ctx);
        return { recoveryCodes };
      });
    },
  };
}

export type EnrollmentService = ReturnType<typeof createEnrollmentService>;

import type { Clock } from '../../lib/clock.ts';
import type { Db } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Operator, OperatorService } from '../operators/operators.service.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import { createAccountService } from './account.service.ts';
import { createAdminService } from './admin.service.ts';
import { createAuthAudit } from './auth-audit.ts';
import { createEnrollmentService } from './enrollment.service.ts';
import { createFactors } from './factors.ts';
import { createLockout, type LockoutPolicy } from './lockout.ts';
import { createLoginService } from './login.service.ts';
import { createPasswordHasher } from './passwords.ts';
import { createSecondFactorCheck } from './second-factor.ts';
import { createSessionService, type SessionRecord } from './sessions.ts';
import { createSettingsService } from './settings.ts';
import { createStepUp } from './step-up.ts';
import { createWebauthn } from './webauthn.ts';

/** Composes operator sign-in: credentials, guessing limits, sessions, enrollment, step-up. */
export function createAuth(deps: {
  db: Db;
  keyring: Pick<Keyring, 'tenantKey' | 'indexKey'>;
  clock: Clock;
  publicUrl: string;
  tenants: Pick<TenantService, 'getBySlug' | 'getById'>;
  operators: Pick<OperatorService, 'create' | 'getById' | 'findByEmail' | 'setStatus'>;
  audit: Pick<AuditService, 'append'>;
  lockoutPolicy?: LockoutPolicy;
}) {
  const { db, keyring, clock } = deps;
  const audit = createAuthAudit(deps.audit);
  const passwords = createPasswordHasher({ keyring });
  const lockout = createLockout({
    db,
    keyring,
    clock,
    ...(deps.lockoutPolicy ? { policy: deps.lockoutPolicy } : {}),
  });
  const sessions = createSessionService({ db, clock });
  const settings = createSettingsService({ db, clock });
  const webauthn = createWebauthn({ publicUrl: deps.publicUrl, rpName: 'ChatVault' });
  const factors = createFactors({ db, keyring, clock, webauthn, issuer: 'ChatVault' });
  const secondFactor = createSecondFactorCheck({ db, factors, lockout, sessions, settings, audit });
  const common = { db, clock, audit, sessions, settings };
  const enrollment = createEnrollmentService({
    ...common,
    publicUrl: deps.publicUrl,
    tenants: deps.tenants,
    operators: deps.operators,
    passwords,
    factors,
  });

  return {
    sessions,
    settings,
    lockout,
    factors,
    webauthn,
    enrollment,
    login: createLoginService({
      ...common,
      tenants: deps.tenants,
      operators: deps.operators,
      passwords,
      lockout,
      factors,
      secondFactor,
    }),
    account: createAccountService({ ...common, tenants: deps.tenants, passwords, factors }),
    admin: createAdminService({ ...common, operators: deps.operators, enrollment, lockout }),
    stepUp: createStepUp({ ...common, factors, lockout, secondFactor }),

    /**
     * The operator behind a session cookie, checked on every request: a disabled or reset operator's
     * sessions end here, at their next request, even if whoever disabled them did not end them.
     */
    async authenticate(
      secret: string | undefined,
    ): Promise<{ session: SessionRecord; operator: Operator } | undefined> {
      const session = await sessions.resolve(secret, 'session');
      if (!session) return undefined;
      const operator = await deps.operators.getById(session.tenantId, session.operatorId);
      if (operator.status === 'active') return { session, operator };
      await db.transaction().execute((trx) => sessions.revokeAll(trx, operator.tenantId, operator.id));
      return undefined;
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;

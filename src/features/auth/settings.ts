import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import * as repo from './auth.repository.ts';

/** A tenant's sign-in settings. MFA itself is not a setting: it cannot be turned off. */
export interface AuthSettings {
  /** Inactivity timeout, 5–60 minutes (NIST SP 800-63B-4 AAL2: at most 1 h). */
  readonly idleTimeoutMinutes: number;
  /** Absolute session lifetime, 1–24 hours (AAL2: at most 24 h). */
  readonly absoluteTimeoutHours: number;
  /** Admins and owners must sign in with a passkey (TOTP is refused for them; recovery codes stay). */
  readonly requirePasskeyForAdmins: boolean;
}

export const DEFAULT_SETTINGS: AuthSettings = {
  idleTimeoutMinutes: 30,
  absoluteTimeoutHours: 12,
  requirePasskeyForAdmins: false,
};

export const settingsInput = z
  .object({
    idleTimeoutMinutes: z.number().int().min(5).max(60),
    absoluteTimeoutHours: z.number().int().min(1).max(24),
    requirePasskeyForAdmins: z.boolean(),
  })
  .partial()
  .strict();

async function read(db: Db, tenantId: string): Promise<AuthSettings> {
  const row = await repo.findSettings(db, tenantId);
  if (!row) return DEFAULT_SETTINGS;
  return {
    idleTimeoutMinutes: Math.round(row.idle_timeout_s / 60),
    absoluteTimeoutHours: Math.round(row.absolute_timeout_s / 3600),
    requirePasskeyForAdmins: row.require_passkey_admins === 1,
  };
}

export function createSettingsService(deps: { db: Db; clock: Clock }) {
  return {
    get: (tenantId: string): Promise<AuthSettings> => read(deps.db, tenantId),

    async update(trx: Db, tenantId: string, input: unknown): Promise<AuthSettings> {
      const next = { ...(await read(trx, tenantId)), ...parseInput(settingsInput, input) };
      await repo.saveSettings(trx, {
        tenant_id: tenantId,
        idle_timeout_s: next.idleTimeoutMinutes * 60,
        absolute_timeout_s: next.absoluteTimeoutHours * 3600,
        require_passkey_admins: next.requirePasskeyForAdmins ? 1 : 0,
        updated_at: deps.clock.now().toISOString(),
      });
      return next;
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;

import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Db } from '../../db/database.ts';
import * as repo from './auth.repository.ts';
import type { AuthSessionsTable, SessionKind } from './auth.table.ts';

/** Pre-auth (password checked, second factor pending) and enrollment sessions are short. */
export const PREAUTH_SECONDS = 5 * 60;
export const ENROLL_SECONDS = 30 * 60;
/** A WebAuthn challenge is good for one use within this many seconds. */
const CHALLENGE_SECONDS = 5 * 60;
/** `last_seen_at` is written at most this often per session (idle precision vs. one write per request). */
const TOUCH_EVERY_SECONDS = 30;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

export interface SessionRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly operatorId: string;
  readonly kind: SessionKind;
  /** The secret the caller presented (kept only in memory, for the CSRF check). */
  readonly secret: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly idleExpiresAt: string;
  readonly mfaVerifiedAt: string | null;
  readonly mfaMethod: string | null;
  readonly challenge: string | null;
  readonly challengeAt: string | null;
}

/** 256 random bits, base64url; the database keeps only SHA-256 of it. */
function newSecret(): { secret: string; hash: Buffer } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, hash: hashSecret(secret) };
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/**
 * Server-side sessions: opaque secrets, idle and absolute timeouts, a new secret at every
 * (re)authentication, revocation one by one or all at once.
 */
export function createSessionService(deps: { db: Db; clock: Clock }) {
  const now = () => deps.clock.now();
  const plus = (from: Date, seconds: number) => new Date(from.getTime() + seconds * 1000).toISOString();

  function toRecord(row: AuthSessionsTable, secret: string): SessionRecord {
    const idleEnd = plus(new Date(row.last_seen_at), row.idle_seconds);
    return {
      id: row.id,
      tenantId: row.tenant_id,
      operatorId: row.operator_id,
      kind: row.kind,
      secret,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      idleExpiresAt: idleEnd < row.expires_at ? idleEnd : row.expires_at,
      mfaVerifiedAt: row.mfa_verified_at,
      mfaMethod: row.mfa_method,
      challenge: row.challenge,
      challengeAt: row.challenge_at,
    };
  }

  return {
    async create(
      trx: Db,
      input: {
        tenantId: string;
        operatorId: string;
        kind: SessionKind;
        idleSeconds: number;
        lifetimeSeconds: number;
        mfaMethod?: string;
      },
    ): Promise<SessionRecord> {
      const at = now();
      const { secret, hash } = newSecret();
      const row: AuthSessionsTable = {
        id: newId('se'),
        id_hash: hash,
        tenant_id: input.tenantId,
        operator_id: input.operatorId,
        kind: input.kind,
        created_at: at.toISOString(),
        last_seen_at: at.toISOString(),
        idle_seconds: input.idleSeconds,
        expires_at: plus(at, input.lifetimeSeconds),
        mfa_verified_at: input.mfaMethod ? at.toISOString() : null,
        mfa_method: input.mfaMethod ?? null,
        challenge: null,
        challenge_at: null,
        revoked_at: null,
      };
      await repo.insertSession(trx, row);
      return toRecord(row, secret);
    },

    /** The live session of this kind for a presented secret; refreshes its idle timer. */
    async resolve(secret: string | undefined, kind: SessionKind): Promise<SessionRecord | undefined> {
      if (!secret || !SECRET.test(secret)) return undefined;
      const row = await repo.findSessionByHash(deps.db, hashSecret(secret));
      const at = now();
      const iso = at.toISOString();
      if (!row || row.kind !== kind || row.revoked_at !== null || row.expires_at <= iso) return undefined;
      if (plus(new Date(row.last_seen_at), row.idle_seconds) <= iso) return undefined;
      if (at.getTime() - Date.parse(row.last_seen_at) >= TOUCH_EVERY_SECONDS * 1000) {
        await repo.updateSession(deps.db, row.id, { last_seen_at: iso });
        row.last_seen_at = iso;
      }
      return toRecord(row, secret);
    },

    /**
     * Whether a session is still live, without touching it: long-lived streams (live updates) check
     * this so that an open tab never extends the idle timeout by itself.
     */
    async isLive(id: string): Promise<boolean> {
      const row = await repo.findSessionById(deps.db, id);
      const iso = now().toISOString();
      return (
        row !== undefined &&
        row.revoked_at === null &&
        row.expires_at > iso &&
        plus(new Date(row.last_seen_at), row.idle_seconds) > iso
      );
    },

    /** A new secret for the same session after a second factor was verified (login or step-up). */
    async rotate(trx: Db, record: SessionRecord, mfaMethod: string): Promise<SessionRecord> {
      const { secret, hash } = newSecret();
      const at = now().toISOString();
      await repo.updateSession(trx, record.id, {
        id_hash: hash,
        mfa_verified_at: at,
        mfa_method: mfaMethod,
        last_seen_at: at,
        challenge: null,
        challenge_at: null,
      });
      return { ...record, secret, mfaVerifiedAt: at, mfaMethod, challenge: null, challengeAt: null };
    },

    async setChallenge(record: SessionRecord, challenge: string): Promise<void> {
      await repo.updateSession(deps.db, record.id, { challenge, challenge_at: now().toISOString() });
    },

    /** The pending challenge, taken (one use) if it is still fresh. */
    async takeChallenge(record: SessionRecord): Promise<string | undefined> {
      const { challenge, challengeAt } = record;
      if (!challenge || !challengeAt) return undefined;
      if (!(await repo.takeChallenge(deps.db, record.id, challenge))) return undefined;
      return plus(new Date(challengeAt), CHALLENGE_SECONDS) > now().toISOString() ? challenge : undefined;
    },

    revoke: (trx: Db, tenantId: string, operatorId: string, id: string) =>
      repo.revokeSession(trx, tenantId, operatorId, id, now().toISOString()),

    /** Ends every session of an operator (optionally but one); returns how many ended. */
    revokeAll: (trx: Db, tenantId: string, operatorId: string, exceptId?: string) =>
      repo.revokeSessions(trx, tenantId, operatorId, now().toISOString(), exceptId),

    async list(tenantId: string, operatorId: string) {
      const rows = await repo.listLiveSessions(deps.db, tenantId, operatorId, 'session', now().toISOString());
      const iso = now().toISOString();
      return rows
        .filter((r) => plus(new Date(r.last_seen_at), r.idle_seconds) > iso)
        .map((r) => ({
          id: r.id,
          createdAt: r.created_at,
          lastSeenAt: r.last_seen_at,
          expiresAt: r.expires_at,
          mfaVerifiedAt: r.mfa_verified_at,
          mfaMethod: r.mfa_method,
        }));
    },

    /** Forgets sessions that ended more than a day ago. */
    purge: () => repo.purgeSessions(deps.db, plus(now(), -86_400)),
  };
}

export type SessionService = ReturnType<typeof createSessionService>;

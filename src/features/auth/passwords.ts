import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { hash, parseOptions, verify } from '@node-rs/argon2';
import { hkdf } from '../../lib/crypto/hkdf.ts';
import { createLimiter } from '../../lib/limiter.ts';
import type { Keyring } from '../keys/keyring.ts';
import { normalizePassword } from './password-policy.ts';

/** OWASP's argon2id minimum; changing these makes every stored hash upgrade at its next login. */
export const ARGON2_PARAMS = { memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;

/**
 * At most this many argon2 computations run at once: each takes a whole core for ~20 ms, and on a
 * small machine four of them (libuv's default pool) would starve the event loop's own core.
 */
const HASH_CONCURRENCY = Math.max(1, availableParallelism() - 1);

export interface StoredPassword {
  readonly hash: string;
  readonly pepperVersion: number;
}

/**
 * Argon2id over the NFKC password with a pepper: HKDF of the tenant `restricted` key (held under the
 * root key, never in the database). Hashing runs on libuv's thread pool, never on the event loop.
 */
export function createPasswordHasher(deps: { keyring: Pick<Keyring, 'tenantKey'> }) {
  const hashing = createLimiter(HASH_CONCURRENCY);
  const limit = <T>(fn: () => Promise<T>) => hashing.run(fn);
  let dummy: Promise<string> | undefined;
  const dummySecret = randomBytes(32);

  async function pepper(tenantId: string, version?: number): Promise<{ version: number; secret: Buffer }> {
    const key = await deps.keyring.tenantKey(tenantId, 'restricted', version);
    return { version: key.id, secret: hkdf(key.key, 'chatvault-auth-v1|password-pepper') };
  }

  return {
    async hash(tenantId: string, password: string): Promise<StoredPassword> {
      const p = await pepper(tenantId);
      const phc = await limit(() =>
        hash(normalizePassword(password), { ...ARGON2_PARAMS, secret: p.secret }),
      );
      p.secret.fill(0);
      return { hash: phc, pepperVersion: p.version };
    },

    /** True when the password matches; `stale` when the hash should be recomputed (params or pepper). */
    async verify(
      tenantId: string,
      stored: StoredPassword,
      password: string,
    ): Promise<{ ok: boolean; stale: boolean }> {
      const p = await pepper(tenantId, stored.pepperVersion);
      let ok = false;
      try {
        ok = await limit(() => verify(stored.hash, normalizePassword(password), { secret: p.secret }));
      } catch {
        ok = false;
      } finally {
        p.secret.fill(0);
      }
      if (!ok) return { ok, stale: false };
      const active = await deps.keyring.tenantKey(tenantId, 'restricted');
      return { ok, stale: active.id !== stored.pepperVersion || !currentParams(stored.hash) };
    },

    /** Spends the same work as a real check, for accounts that do not exist; always false. */
    async verifyDummy(password: string): Promise<false> {
      dummy ??= hash(randomBytes(16).toString('hex'), { ...ARGON2_PARAMS, secret: dummySecret });
      try {
        const phc = await dummy;
        await limit(() => verify(phc, normalizePassword(password), { secret: dummySecret }));
      } catch {
        // the outcome is irrelevant; only the time spent matters
      }
      return false;
    },
  };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;

function currentParams(phc: string): boolean {
  try {
    const o = parseOptions(phc);
    return (
      Number(o.algorithm) === 2 &&
      o.memoryCost === ARGON2_PARAMS.memoryCost &&
      o.timeCost === ARGON2_PARAMS.timeCost &&
      o.parallelism === ARGON2_PARAMS.parallelism
    );
  } catch {
    return false;
  }
}

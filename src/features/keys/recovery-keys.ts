import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConflictError, InvalidSharesError } from '../../lib/errors.ts';
import { combineShares, splitSecret } from '../../lib/crypto/shamir.ts';
import { writePrivate } from './local-provider.ts';

/**
 * Recovery keys for providers that unseal without shares (pkcs11: the HSM logs in with its PIN at
 * start). A random 256-bit recovery key is split into k-of-n Shamir shares, handed out once and never
 * stored; the data directory keeps only an HMAC verifier of it (`recovery.json`, 0600). Root rotation
 * on such a provider needs k of these shares, so auto-unseal alone never changes the root.
 */
const recoveryFile = z.object({
  version: z.literal(1),
  threshold: z.number().int().min(2).max(255),
  shares: z.number().int().min(2).max(255),
  verifier: z.string().min(1),
  createdAt: z.string(),
});

export const recoveryPath = (dataDir: string) => path.join(dataDir, 'recovery.json');

const verifierOf = (key: Uint8Array) =>
  createHmac('sha256', key).update('chatvault-recovery-verifier-v1').digest();

/** Makes the recovery key and returns its shares (once); refuses when one exists already. */
export async function initRecoveryKeys(
  dataDir: string,
  opts: { shares: number; threshold: number; now: Date },
): Promise<{ shares: string[]; threshold: number }> {
  if (fs.existsSync(recoveryPath(dataDir))) throw new ConflictError('Recovery keys already exist here');
  const key = randomBytes(32);
  try {
    const shares = await splitSecret(key, opts.shares, opts.threshold);
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writePrivate(
      recoveryPath(dataDir),
      JSON.stringify({
        version: 1,
        threshold: opts.threshold,
        shares: opts.shares,
        verifier: verifierOf(key).toString('base64'),
        createdAt: opts.now.toISOString(),
      }),
    );
    return { shares, threshold: opts.threshold };
  } finally {
    key.fill(0);
  }
}

/** Whether this data directory has recovery keys, and how many shares they need. */
export function recoveryStatus(dataDir: string): { threshold: number; shares: number } | undefined {
  const file = recoveryPath(dataDir);
  if (!fs.existsSync(file)) return undefined;
  const parsed = recoveryFile.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  return { threshold: parsed.threshold, shares: parsed.shares };
}

/** Throws InvalidSharesError (one line, no share content) unless `shares` rebuild the recovery key. */
export async function verifyRecoveryShares(dataDir: string, shares: readonly string[]): Promise<void> {
  const status = recoveryStatus(dataDir);
  if (!status)
    throw new InvalidSharesError('No recovery keys are set up; run `chatvault keys recovery-init` first');
  if (shares.length < status.threshold)
    throw new InvalidSharesError(`Root rotation needs ${status.threshold} recovery shares`);
  const { verifier } = recoveryFile.parse(JSON.parse(fs.readFileSync(recoveryPath(dataDir), 'utf8')));
  const key = await combineShares([...shares]);
  try {
    const expected = Buffer.from(verifier, 'base64');
    const got = verifierOf(key);
    if (expected.length !== got.length || !timingSafeEqual(expected, got))
      throw new InvalidSharesError('These recovery shares belong to another vault');
  } finally {
    key.fill(0);
  }
}

import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { open, seal } from '../../lib/crypto/aead.ts';
import { combineShares, splitSecret } from '../../lib/crypto/shamir.ts';
import { DecryptionError, IntegrityError, InvalidSharesError, ValidationError } from '../../lib/errors.ts';
import {
  keyfileSchema,
  localPaths,
  rootAd,
  UNSEAL_KEY_ID,
  writePrivate,
  type Keyfile,
} from './local-provider.ts';

/** What a rekey did (never the shares' holders or the keys themselves). */
export interface RekeyResult {
  readonly shares: string[];
  readonly threshold: number;
  readonly rootVersions: number;
  /** The embedded-mode recovery-shares file held the old shares and was deleted. */
  readonly removedRecoveryFile: boolean;
}

function readKeyfile(file: string): Keyfile {
  if (!fs.existsSync(file))
    throw new InvalidSharesError('The data directory is not initialised; run `chatvault init`');
  const parsed = keyfileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new IntegrityError('The root keyfile is malformed');
  return parsed.data;
}

/** Opens every root version with `unsealKey`; throws InvalidSharesError when one does not open. */
function openAll(keyfile: Keyfile, unsealKey: Buffer): Map<number, Buffer> {
  const roots = new Map<number, Buffer>();
  try {
    for (const v of keyfile.versions)
      roots.set(
        v.version,
        open({ id: UNSEAL_KEY_ID, key: unsealKey }, Buffer.from(v.wrapped, 'base64'), rootAd(v.version)),
      );
    return roots;
  } catch (error) {
    for (const k of roots.values()) k.fill(0);
    if (error instanceof DecryptionError)
      throw new InvalidSharesError('These shares do not unseal this vault');
    throw error;
  }
}

/**
 * Rekey (Vault's `operator rekey`): k current shares prove possession of the unseal key; a fresh
 * unseal key re-seals every root version and is split into a new share set. The new set is checked
 * (two different k-subsets rebuild the key, and the key opens every re-sealed version) before the
 * keyfile is replaced, so a failure leaves the old shares working. Afterwards the old shares open
 * nothing. The root key itself does not change, so no data moves.
 */
export async function rekeyLocalKeys(
  dataDir: string,
  currentShares: string[],
  requested: { shares?: number; threshold?: number } = {},
): Promise<RekeyResult> {
  const paths = localPaths(dataDir);
  const keyfile = readKeyfile(paths.keyfile);
  const options = {
    shares: requested.shares ?? keyfile.shares,
    threshold: requested.threshold ?? keyfile.threshold,
  };
  if (options.threshold < 2 || options.shares < options.threshold || options.shares > 255)
    throw new ValidationError('Need integers with 2 ≤ threshold ≤ shares ≤ 255');
  if (currentShares.length < keyfile.threshold)
    throw new InvalidSharesError(
      `Need ${keyfile.threshold} current shares to rekey; got ${currentShares.length}`,
    );
  const oldKey = await combineShares(currentShares);
  const newKey = randomBytes(32);
  const roots = new Map<number, Buffer>();
  try {
    for (const [v, k] of openAll(keyfile, oldKey)) roots.set(v, k);
    const next: Keyfile = {
      ...keyfile,
      shares: options.shares,
      threshold: options.threshold,
      versions: keyfile.versions.map((v) => ({
        ...v,
        wrapped: seal({ id: UNSEAL_KEY_ID, key: newKey }, roots.get(v.version)!, rootAd(v.version)).toString(
          'base64',
        ),
      })),
    };
    const shares = await splitSecret(newKey, options.shares, options.threshold);
    await verifyShareSet(next, shares, options.threshold, roots);
    writePrivate(paths.keyfile, JSON.stringify(next, null, 2) + '\n');
    // The auto-unseal file holds the unseal key itself: keep it usable, or it would stop unsealing.
    if (fs.existsSync(paths.autoUnseal)) writePrivate(paths.autoUnseal, newKey.toString('base64') + '\n');
    const removedRecoveryFile = fs.existsSync(paths.recoveryShares);
    fs.rmSync(paths.recoveryShares, { force: true });
    return { shares, threshold: options.threshold, rootVersions: next.versions.length, removedRecoveryFile };
  } finally {
    oldKey.fill(0);
    newKey.fill(0);
    for (const k of roots.values()) k.fill(0);
  }
}

/** The first and the last k shares must each rebuild a key that opens every root version to the same bytes. */
async function verifyShareSet(
  keyfile: Keyfile,
  shares: string[],
  threshold: number,
  roots: Map<number, Buffer>,
): Promise<void> {
  for (const subset of [shares.slice(0, threshold), shares.slice(-threshold)]) {
    const rebuilt = await combineShares(subset);
    try {
      const reopened = openAll(keyfile, rebuilt);
      for (const [v, k] of reopened) {
        const same = k.equals(roots.get(v)!);
        k.fill(0);
        if (!same) throw new IntegrityError('The new share set does not rebuild the root key');
      }
    } finally {
      rebuilt.fill(0);
    }
  }
}

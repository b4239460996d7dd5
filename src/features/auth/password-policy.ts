import { ValidationError } from '../../lib/errors.ts';
import { loadBlocklist } from './blocklist.ts';

/** NIST SP 800-63B-4 §3.1.1.2: at least 8 (MFA is always on), and far more than 64 allowed. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 512;

/** NFKC, as NIST asks; nothing else (no trimming, no case change, no truncation). */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * Checks a new password and says why it is refused: too short, too long, a known breached or common
 * password, or little more than a context word (tenant slug, e-mail local part, product name).
 * Composition rules are deliberately absent.
 * @example await assertAcceptablePassword(pw, ['acme', 'alice']);
 */
export async function assertAcceptablePassword(password: string, contextWords: string[]): Promise<void> {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  if (length < PASSWORD_MIN)
    throw refused('too_short', `The password must have at least ${PASSWORD_MIN} characters`);
  if (length > PASSWORD_MAX)
    throw refused('too_long', `The password must have at most ${PASSWORD_MAX} characters`);
  const lower = normalized.toLowerCase();
  if (new Set(lower).size === 1) throw refused('repetitive', 'The password repeats a single character');
  const list = await loadBlocklist();
  if (list.has(lower)) {
    throw refused('breached', 'This password appears in lists of common or breached passwords');
  }
  const words = ['chatvault', ...contextWords]
    .map((w) => w.normalize('NFKC').toLowerCase())
    .filter((w) => w.length >= 3);
  let rest = lower;
  for (const word of words) rest = rest.split(word).join('');
  if (rest !== lower && ([...rest].length < PASSWORD_MIN || list.has(rest))) {
    throw refused('context', 'The password is too close to the account, tenant or product name');
  }
}

function refused(reason: string, message: string): ValidationError {
  return new ValidationError(message, { reason });
}

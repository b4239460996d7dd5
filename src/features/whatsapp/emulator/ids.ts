import { randomBytes } from 'node:crypto';
import type { Random } from './random.ts';

/**
 * Message ids shaped like Meta's: `wamid.` + base64 of a small Thrift-like record that carries the
 * user's number (or, for a user without a visible number, the digits of the BSUID), a direction
 * flag (0x12 inbound, 0x11 outbound) and a random hex tag. Real wamids embed the phone number
 * too, so a stored wamid is personal data.
 */
export function wamid(random: Random, user: string, direction: 'inbound' | 'outbound'): string {
  const digits = Buffer.from(user.replace(/\D/g, '').slice(0, 20), 'latin1');
  const tag = Buffer.from(
    random
      .bytes(direction === 'inbound' ? 10 : 9)
      .toString('hex')
      .toUpperCase(),
    'latin1',
  );
  const record = Buffer.concat([
    Buffer.from([0x1c, 0x18, digits.length]),
    digits,
    Buffer.from([0x15, 0x02, 0x00, direction === 'inbound' ? 0x12 : 0x11, 0x18, tag.length]),
    tag,
    Buffer.from([0x00]),
  ]);
  return `wamid.${record.toString('base64')}`;
}

/** A numeric Graph object id (media, templates), 15 or 16 digits, never starting with 0. */
export function graphObjectId(random: Random): string {
  return String(random.int(1, 9)) + random.digits(random.int(14, 15));
}

/** `fbtrace_id`: 23 characters of base64url, random per answer (not seeded: it names one request). */
export function fbtraceId(): string {
  return randomBytes(18).toString('base64url').slice(0, 23);
}

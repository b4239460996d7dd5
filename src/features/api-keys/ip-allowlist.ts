import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

/** One CIDR block (or a single address), IPv4 or IPv6. */
export const cidr = z
  .string()
  .trim()
  .max(64)
  .refine((v) => parseCidr(v) !== undefined, 'must be an IPv4 or IPv6 address or CIDR block');

function parseCidr(value: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', bits, extra] = value.split('/');
  if (extra !== undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** `::ffff:10.0.0.1` (IPv4 through a dual-stack socket) is checked as `10.0.0.1`. */
export function normalizeIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? mapped[1]! : ip;
}

/**
 * A compiled allowlist: `allows(ip)` is true when the list is empty or the address is inside a block.
 * @example compileAllowlist(['203.0.113.0/24', '2001:db8::/32']).allows('203.0.113.9') // true
 */
export function compileAllowlist(blocks: readonly string[]): { allows(ip: string): boolean } {
  if (blocks.length === 0) return { allows: () => true };
  const list = new BlockList();
  for (const block of blocks) {
    const c = parseCidr(block);
    if (c) list.addSubnet(c.address, c.prefix, c.family);
  }
  return {
    allows(ip: string): boolean {
      const address = normalizeIp(ip);
      const version = isIP(address);
      if (version === 0) return false;
      return list.check(address, version === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

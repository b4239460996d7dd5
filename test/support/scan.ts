import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FakeCustomer } from '../../src/features/demo/fake-customers.ts';

/** Every common encoding a careless store could leave personal data in. */
export function encodings(value: string): Buffer[] {
  const utf8 = Buffer.from(value, 'utf8');
  const utf16le = Buffer.from(value, 'utf16le');
  const utf16be = Buffer.from(utf16le).swap16();
  return [
    utf8,
    utf16le,
    utf16be,
    Buffer.from(utf8.toString('hex')),
    Buffer.from(utf8.toString('base64').replace(/=+$/, '')),
  ];
}

/** The needles for one customer: phone (E.164 and digits-only), name, e-mail. */
export function needles(customer: FakeCustomer): string[] {
  return [customer.phone, customer.phone.replace(/\D/g, ''), customer.profileName, customer.email];
}

const PREFIX = 5;

/**
 * Returns the indexes of the customers (never the values) whose data appears in the haystack.
 * One pass over the haystack with a prefix map, then a full comparison of each candidate.
 */
export function findLeaks(haystack: Buffer, customers: FakeCustomer[]): number[] {
  return findNeedleGroups(haystack, customers.map(needles));
}

/** Like {@link findLeaks} for any groups of plaintext strings: the indexes of the groups found. */
export function findNeedleGroups(haystack: Buffer, groups: readonly (readonly string[])[]): number[] {
  const byPrefix = new Map<string, Array<{ bytes: Buffer; customer: number }>>();
  const leaks = new Set<number>();
  groups.forEach((group, i) => {
    for (const bytes of group.flatMap(encodings)) {
      if (bytes.length < PREFIX) {
        if (haystack.includes(bytes)) leaks.add(i);
        continue;
      }
      const prefix = bytes.toString('latin1', 0, PREFIX);
      const list = byPrefix.get(prefix) ?? [];
      list.push({ bytes, customer: i });
      byPrefix.set(prefix, list);
    }
  });
  const text = haystack.toString('latin1');
  for (let at = 0; at + PREFIX <= text.length; at++) {
    const candidates = byPrefix.get(text.slice(at, at + PREFIX));
    if (!candidates) continue;
    for (const c of candidates) {
      if (at + c.bytes.length > haystack.length) continue;
      if (haystack.compare(c.bytes, 0, c.bytes.length, at, at + c.bytes.length) === 0) leaks.add(c.customer);
    }
  }
  return [...leaks].sort((a, b) => a - b);
}

/** The SQLite database file plus its WAL and shared-memory files, concatenated. */
export function sqliteBytes(dataDir: string): Buffer {
  const base = path.join(dataDir, 'chatvault.db');
  return Buffer.concat(
    [base, `${base}-wal`, `${base}-shm`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)),
  );
}

/** A full `pg_dump` of one schema (schema and data), as bytes. */
export function postgresDump(url: string, schema: string): Buffer {
  const result = spawnSync('pg_dump', ['--dbname', url, '--schema', schema], {
    maxBuffer: 512 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`pg_dump failed: ${result.stderr.toString().slice(0, 200)}`);
  return result.stdout;
}

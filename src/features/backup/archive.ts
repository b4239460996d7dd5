import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { IntegrityError } from '../../lib/errors.ts';

/**
 * The backup archive: `MAGIC | entry* | manifest JSON | HMAC (32) | u32 BE manifest length`, each entry
 * `u16 BE name length | name | u64 BE size | bytes`. The manifest lists every entry with its size and
 * SHA-256; the HMAC over `MAGIC | manifest` is keyed by a per-backup key the root key wraps, so the
 * SHA-256s catch corruption without keys and the HMAC catches deliberate tampering once keys are at hand.
 */
const MAGIC = Buffer.from('CHATVAULT-BACKUP-1\n', 'latin1');
const MAC_BYTES = 32;

/** Only these paths may appear: the SQLite file, the sealed root keyfile and encrypted blobs. */
const ENTRY_NAME =
  /^(db\/chatvault\.db|keys\/root\.json|blobs\/[a-z]{2}_[0-9a-z]{26}\/[0-9a-z]{2}\/[a-z]{2}_[0-9a-z]{26})$/;

const manifestSchema = z.object({
  format: z.literal('chatvault-backup-v1'),
  id: z.string().regex(/^[a-z]{2}_[0-9a-z]{26}$/),
  createdAt: z.string().max(40),
  dialect: z.literal('sqlite'),
  provider: z.enum(['local', 'pkcs11']),
  /** The backup key, wrapped by the active root key version (AEAD header names the version). */
  wrappedKey: z.string().max(256),
  entries: z
    .array(
      z.object({
        name: z.string().max(200).regex(ENTRY_NAME),
        size: z.number().int().min(0),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    )
    .max(10_000_000),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** Appends entries to an archive file, then seals it with `finish`. Nothing is kept in memory beyond one file. */
export function createArchiveWriter(file: string) {
  const fd = fs.openSync(file, 'wx', 0o600);
  const entries: Manifest['entries'] = [];
  const write = (buf: Buffer) => fs.writeSync(fd, buf);
  write(MAGIC);
  return {
    add(name: string, data: Buffer): void {
      if (!ENTRY_NAME.test(name)) throw new Error(`Refusing to archive an unexpected path ${name}`);
      const nameBytes = Buffer.from(name, 'utf8');
      const head = Buffer.alloc(2 + nameBytes.length + 8);
      head.writeUInt16BE(nameBytes.length, 0);
      nameBytes.copy(head, 2);
      head.writeBigUInt64BE(BigInt(data.length), 2 + nameBytes.length);
      write(head);
      write(data);
      entries.push({ name, size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    },
    finish(header: Omit<Manifest, 'entries'>, macKey: Buffer): void {
      try {
        const manifest = Buffer.from(JSON.stringify({ ...header, entries }), 'utf8');
        const tail = Buffer.alloc(4);
        tail.writeUInt32BE(manifest.length, 0);
        write(manifest);
        write(macOf(macKey, manifest));
        write(tail);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    },
    abort(): void {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
    },
  };
}

function macOf(macKey: Buffer, manifest: Buffer): Buffer {
  return createHmac('sha256', macKey).update(MAGIC).update(manifest).digest();
}

/** A parsed archive whose entries all matched their SHA-256 (no key needed for this much). */
export interface Archive {
  readonly manifest: Manifest;
  readonly files: ReadonlyMap<string, Buffer>;
  /** Checks the manifest's HMAC; throws IntegrityError when it does not match. */
  authenticate(macKey: Buffer): void;
}

const corrupt = (why: string) => new IntegrityError(`The backup is damaged or was altered (${why})`);

/** Reads an archive and checks its structure and every entry's SHA-256; IntegrityError on any mismatch. */
export function readArchive(file: string): Archive {
  const bytes = fs.readFileSync(file);
  if (bytes.length < MAGIC.length + MAC_BYTES + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC))
    throw corrupt('not a ChatVault backup');
  const manifestLength = bytes.readUInt32BE(bytes.length - 4);
  const manifestEnd = bytes.length - 4 - MAC_BYTES;
  const manifestStart = manifestEnd - manifestLength;
  if (manifestStart < MAGIC.length) throw corrupt('bad manifest length');
  const manifestBytes = bytes.subarray(manifestStart, manifestEnd);
  const mac = bytes.subarray(manifestEnd, manifestEnd + MAC_BYTES);
  let manifest: Manifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(manifestBytes.toString('utf8')));
  } catch {
    throw corrupt('unreadable manifest');
  }
  const files = new Map<string, Buffer>();
  let at = MAGIC.length;
  for (const entry of manifest.entries) {
    if (at + 2 > manifestStart) throw corrupt('truncated');
    const nameLength = bytes.readUInt16BE(at);
    const name = bytes.toString('utf8', at + 2, at + 2 + nameLength);
    at += 2 + nameLength;
    if (name !== entry.name || at + 8 > manifestStart) throw corrupt('entries out of order');
    const size = Number(bytes.readBigUInt64BE(at));
    at += 8;
    if (size !== entry.size || at + size > manifestStart) throw corrupt('bad entry size');
    const data = bytes.subarray(at, at + size);
    at += size;
    if (createHash('sha256').update(data).digest('hex') !== entry.sha256) throw corrupt('checksum mismatch');
    if (files.has(name)) throw corrupt('duplicate entry');
    files.set(name, data);
  }
  if (at !== manifestStart) throw corrupt('unlisted data');
  return {
    manifest,
    files,
    authenticate(macKey) {
      const expected = macOf(macKey, manifestBytes);
      if (!timingSafeEqual(expected, mac)) throw corrupt('authentication failed');
    },
  };
}

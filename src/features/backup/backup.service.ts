import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import SQLite from 'better-sqlite3';
import type { Config } from '../../config.ts';
import { associatedData } from '../../lib/crypto/aead.ts';
import { hkdf } from '../../lib/crypto/hkdf.ts';
import { ConflictError, InvalidSharesError, ValidationError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { KeyProvider } from '../keys/key-provider.ts';
import { createLocalProvider, localPaths } from '../keys/local-provider.ts';
import { createPkcs11Provider } from '../keys/pkcs11-provider.ts';
import { createArchiveWriter, readArchive, type Archive, type Manifest } from './archive.ts';

const DB_ENTRY = 'db/chatvault.db';
const KEYFILE_ENTRY = 'keys/root.json';

const backupKeyAd = (id: string) => associatedData('system', 'backups', 'key', id);
const macKeyOf = (backupKey: Buffer) => hkdf(backupKey, 'chatvault-backup|manifest-mac');

/** What a backup holds, by count and size only. */
export interface BackupSummary {
  readonly id: string;
  readonly entries: number;
  readonly bytes: number;
  readonly blobs: number;
}

function refusePostgres(config: Pick<Config, 'database'>): string {
  if (config.database.kind !== 'sqlite' || config.database.file === ':memory:')
    throw new ValidationError(
      'backup create handles the embedded SQLite database only; back up PostgreSQL with pg_dump plus the data directory',
    );
  return config.database.file;
}

function listBlobs(dir: string, prefix = 'blobs'): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.endsWith('.partial')) continue;
    const rel = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listBlobs(path.join(dir, entry.name), rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/**
 * Writes a consistent backup of the SQLite database (`VACUUM INTO`: one read transaction), the
 * encrypted media blobs and the sealed root keyfile. Blobs are copied after the database snapshot, so
 * every blob the snapshot names exists (media is written before its row). Needs an unsealed provider:
 * the root key wraps the backup's own authentication key. No unwrapped key or share goes in.
 */
export function createBackup(
  config: Pick<Config, 'database' | 'dataDir' | 'keyProvider'>,
  deps: { provider: Pick<KeyProvider, 'wrap'>; now: Date },
  file: string,
): BackupSummary {
  const dbFile = refusePostgres(config);
  if (fs.existsSync(file)) throw new ConflictError('The backup file already exists; choose a new name');
  const id = newId('bk');
  const snapshot = path.join(config.dataDir, `.backup-${randomBytes(8).toString('hex')}.db`);
  const backupKey = randomBytes(32);
  const writer = createArchiveWriter(file);
  let blobs = 0;
  try {
    const wrappedKey = deps.provider.wrap(backupKey, backupKeyAd(id));
    const source = new SQLite(dbFile, { fileMustExist: true });
    try {
      source.exec(`VACUUM INTO '${snapshot.replaceAll("'", "''")}'`);
    } finally {
      source.close();
    }
    fs.chmodSync(snapshot, 0o600);
    writer.add(DB_ENTRY, fs.readFileSync(snapshot));
    fs.rmSync(snapshot, { force: true });
    const keyfile = localPaths(config.dataDir).keyfile;
    if (config.keyProvider === 'local') writer.add(KEYFILE_ENTRY, fs.readFileSync(keyfile));
    for (const rel of listBlobs(path.join(config.dataDir, 'blobs'))) {
      writer.add(rel, fs.readFileSync(path.join(config.dataDir, rel)));
      blobs++;
    }
    writer.finish(
      {
        format: 'chatvault-backup-v1',
        id,
        createdAt: deps.now.toISOString(),
        dialect: 'sqlite',
        provider: config.keyProvider,
        wrappedKey: wrappedKey.toString('base64'),
      },
      macKeyOf(backupKey),
    );
  } catch (error) {
    writer.abort();
    throw error;
  } finally {
    backupKey.fill(0);
    fs.rmSync(snapshot, { force: true });
  }
  return {
    id,
    entries: blobs + (config.keyProvider === 'local' ? 2 : 1),
    bytes: fs.statSync(file).size,
    blobs,
  };
}

/**
 * Authenticates an archive's manifest with the keys it needs: for the local provider, the sealed
 * keyfile inside the archive opened with k shares (in a throw-away directory, never kept); for
 * pkcs11, the configured token.
 */
async function authenticate(
  archive: Archive,
  config: Pick<Config, 'pkcs11'>,
  shares: string[] | undefined,
): Promise<void> {
  const { manifest } = archive;
  const wrapped = Buffer.from(manifest.wrappedKey, 'base64');
  const ad = backupKeyAd(manifest.id);
  let provider: KeyProvider;
  let scratch: string | undefined;
  if (manifest.provider === 'pkcs11') {
    if (!config.pkcs11)
      throw new ValidationError('This backup was made with the pkcs11 key provider; configure it');
    const hsm = createPkcs11Provider(config.pkcs11);
    hsm.autoUnseal();
    provider = hsm;
  } else {
    if (!shares || shares.length === 0)
      throw new InvalidSharesError('Unseal shares are needed to authenticate');
    const keyfile = archive.files.get(KEYFILE_ENTRY);
    if (!keyfile) throw new ValidationError('The backup holds no root keyfile');
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-verify-'));
    fs.mkdirSync(path.join(scratch, 'keys'), { mode: 0o700 });
    fs.writeFileSync(localPaths(scratch).keyfile, keyfile, { mode: 0o600 });
    provider = createLocalProvider(scratch);
    for (const share of shares) if (!(await provider.submitShare(share)).sealed) break;
  }
  try {
    if (provider.isSealed())
      throw new InvalidSharesError('Not enough unseal shares to authenticate the backup');
    const backupKey = provider.unwrap(wrapped, ad);
    try {
      archive.authenticate(macKeyOf(backupKey));
    } finally {
      backupKey.fill(0);
    }
  } finally {
    provider.forget();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Reads and fully checks a backup (checksums, then the HMAC with keys); writes nothing. */
export async function verifyBackup(
  file: string,
  config: Pick<Config, 'pkcs11'>,
  shares: string[] | undefined,
): Promise<Manifest> {
  const archive = readArchive(file);
  await authenticate(archive, config, shares);
  return archive.manifest;
}

/**
 * Restores a backup into a fresh directory, sealed: the database, blobs and the sealed keyfile — no
 * auto-unseal file, and a `sealed` marker so only k shares bring it back. Every entry's checksum is
 * checked first; with shares (or an HSM) the manifest is also authenticated before anything is written.
 */
export async function restoreBackup(
  file: string,
  targetDir: string,
  config: Pick<Config, 'pkcs11'>,
  shares: string[] | undefined,
): Promise<{ manifest: Manifest; authenticated: boolean }> {
  if (fs.existsSync(targetDir) && fs.readdirSync(targetDir).length > 0)
    throw new ConflictError('The target directory is not empty; restore into a fresh directory');
  const archive = readArchive(file);
  const authenticated = archive.manifest.provider === 'pkcs11' || (shares?.length ?? 0) > 0;
  if (authenticated) await authenticate(archive, config, shares);
  fs.mkdirSync(targetDir, { recursive: true, mode: 0o700 });
  for (const [name, data] of archive.files) {
    const dest = name === DB_ENTRY ? path.join(targetDir, 'chatvault.db') : path.join(targetDir, name);
    fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
    fs.writeFileSync(dest, data, { mode: 0o600 });
  }
  if (archive.manifest.provider === 'local')
    fs.writeFileSync(localPaths(targetDir).sealedMarker, new Date().toISOString() + '\n', { mode: 0o600 });
  return { manifest: archive.manifest, authenticated };
}

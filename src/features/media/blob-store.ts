import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '../../lib/errors.ts';

/**
 * Where encrypted media lives. Only ciphertext is ever written: the last transform is the encryption. A blob appears under its name only when complete (temp file + rename).
 */
export interface BlobStore {
  /** Writes `source` through `transforms` (the last one must encrypt) into a new blob; returns its size. */
  put(tenantId: string, blobId: string, source: Readable, transforms: Transform[]): Promise<number>;
  get(tenantId: string, blobId: string): Readable;
  delete(tenantId: string, blobId: string): Promise<void>;
}

export function createLocalBlobStore(dir: string): BlobStore {
  const fileOf = (tenantId: string, blobId: string) => {
    if (!/^[a-z]{2}_[0-9a-z]{26}$/.test(tenantId) || !/^[a-z]{2}_[0-9a-z]{26}$/.test(blobId)) {
      throw new NotFoundError('Blob');
    }
    return path.join(dir, tenantId, blobId.slice(-2), blobId);
  };
  return {
    async put(tenantId, blobId, source, transforms) {
      const file = fileOf(tenantId, blobId);
      await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const temp = `${file}.${randomBytes(6).toString('hex')}.partial`;
      try {
        await pipeline([source, ...transforms, fs.createWriteStream(temp, { mode: 0o600 })]);
        await fs.promises.rename(temp, file);
      } catch (error) {
        await fs.promises.rm(temp, { force: true });
        throw error;
      }
      return (await fs.promises.stat(file)).size;
    },
    get(tenantId, blobId) {
      const file = fileOf(tenantId, blobId);
      if (!fs.existsSync(file)) throw new NotFoundError('Media');
      return fs.createReadStream(file);
    },
    async delete(tenantId, blobId) {
      await fs.promises.rm(fileOf(tenantId, blobId), { force: true });
    },
  };
}

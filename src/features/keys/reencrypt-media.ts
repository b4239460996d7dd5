import type { Readable } from 'node:stream';
import { createDecryptStream, createEncryptStream } from '../../lib/crypto/stream.ts';
import { KeyNotFoundError } from '../../lib/errors.ts';
import type { AeadKey } from '../../lib/crypto/aead.ts';
import type { BlobStore } from '../media/blob-store.ts';
import { blobAd } from '../media/media-fetch.ts';
import { advance, type StepDeps, type StepResult } from './rewrap-steps.ts';
import type { KeyJobsTable } from './keys.table.ts';

/** Media blobs per batch: each is streamed through once (decrypt → encrypt), so batches stay small. */
const MEDIA_BATCH = 4;

/** The key version named in a stream-encrypted blob's header (bytes 1–4), read without decrypting. */
export async function blobKeyVersion(blobs: BlobStore, tenantId: string, blobId: string): Promise<number> {
  const stream: Readable = blobs.get(tenantId, blobId);
  try {
    for await (const chunk of stream) {
      const head = chunk as Buffer;
      if (head.length >= 5) return head.readUInt32BE(1);
      break;
    }
    throw new Error('media blob too short');
  } finally {
    stream.destroy();
  }
}

/**
 * Phase `media` of a customer-key rotation: each of the customer's stream-encrypted blobs is decrypted
 * under its old version and re-encrypted under the new one into a temp file that atomically replaces
 * the blob (the old ciphertext is gone with the rename); then the row's `key_version` and the job's
 * cursor move in one transaction. A crash between the two is found on resume by the blob's header.
 */
export async function reencryptMediaStep(
  d: StepDeps & { blobs: BlobStore },
  job: KeyJobsTable,
): Promise<StepResult | null> {
  const rows = await d.db
    .selectFrom('media')
    .select(['id', 'key_version'])
    .where('tenant_id', '=', job.tenant_id)
    .where('contact_id', '=', job.contact_id!)
    .where('id', '>', job.cursor)
    .orderBy('id')
    .limit(MEDIA_BATCH)
    .execute();
  if (rows.length === 0) return null;
  const contactId = job.contact_id!;
  const keys = new Map<number, AeadKey>();
  const keyOf = async (version: number) => {
    let key = keys.get(version);
    if (!key) keys.set(version, (key = await d.keyring.contactKey(job.tenant_id, contactId, version)));
    return key;
  };
  const target = await keyOf(job.target_version);
  const moved: Array<{ id: string; from: number }> = [];
  for (const row of rows) {
    if (row.key_version === job.target_version) continue;
    const ad = blobAd(job.tenant_id, row.id);
    const from = await blobKeyVersion(d.blobs, job.tenant_id, row.id);
    if (from !== job.target_version) {
      const old = await keyOf(from);
      await d.blobs.put(job.tenant_id, row.id, d.blobs.get(job.tenant_id, row.id), [
        createDecryptStream((v) => {
          if (v !== old.id) throw new KeyNotFoundError(v);
          return old;
        }, ad),
        createEncryptStream(target, ad),
      ]);
    }
    moved.push({ id: row.id, from: row.key_version });
  }
  const cursor = rows.at(-1)!.id;
  await d.db.transaction().execute(async (trx) => {
    for (const m of moved)
      await trx
        .updateTable('media')
        .set({ key_version: job.target_version })
        .where('id', '=', m.id)
        .where('key_version', '=', m.from)
        .execute();
    await advance(trx, job, cursor, rows.length, d);
  });
  return { seen: rows.length, changed: moved.length, cursor };
}

import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { z } from 'zod';
import { associatedData, type AeadKey } from '../../lib/crypto/aead.ts';
import { createEncryptStream } from '../../lib/crypto/stream.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Db } from '../../db/database.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import * as contactsRepo from '../contacts/contacts.repository.ts';
import type { Keyring } from '../keys/keyring.ts';
import { PermanentJobError, type OutboxJob } from '../outbox/outbox.worker.ts';
import type { GraphClient } from '../whatsapp/graph/graph-client.ts';
import { GraphApiError } from '../whatsapp/graph/graph-errors.ts';
import type { BlobStore } from './blob-store.ts';

/** Meta's size limits per media type (bytes). */
export const MEDIA_LIMITS: Record<string, number> = {
  image: 5 * 1024 * 1024,
  audio: 16 * 1024 * 1024,
  video: 16 * 1024 * 1024,
  document: 100 * 1024 * 1024,
  sticker: 500 * 1024,
};

const payload = z.object({
  channelId: z.string(),
  messageId: z.string(),
  contactId: z.string(),
  type: z.string(),
  media: z.object({ id: z.string().max(200), sha256: z.string().max(200).optional() }).passthrough(),
});

export function blobAd(tenantId: string, blobId: string): Buffer {
  return associatedData(tenantId, 'media', 'blob', blobId);
}

/**
 * The `media_fetch` job: looks the media id up (fresh URL each try, as URLs expire after 5 minutes),
 * downloads with the bearer token, enforces the size limit, stream-encrypts under the customer's key
 * straight into the blob store (plaintext never touches the disk) and checks Meta's sha256.
 */
export function createMediaFetcher(deps: {
  db: Db;
  reader: Db;
  channels: Pick<ChannelService, 'get'>;
  keyring: Pick<Keyring, 'openContactKey'>;
  graph: GraphClient;
  blobs: BlobStore;
  clock: Clock;
}) {
  async function customerKey(tenantId: string, contactId: string): Promise<AeadKey> {
    const row = await contactsRepo.findById(deps.reader, tenantId, contactId);
    if (!row?.key_wrapped) throw new PermanentJobError('customer no longer exists');
    return deps.keyring.openContactKey(tenantId, contactId, row.key_version, row.key_wrapped);
  }

  async function openDownload(job: OutboxJob, p: z.infer<typeof payload>) {
    const channel = await deps.channels.get(p.channelId);
    for (let attempt = 0; attempt < 3; attempt++) {
      const info = await deps.graph.getMedia(channel, p.media.id).catch((error: unknown) => {
        if (error instanceof GraphApiError && error.handling === 'invalid')
          throw new PermanentJobError(error.message);
        throw error;
      });
      const limit = MEDIA_LIMITS[p.type] ?? MEDIA_LIMITS.document!;
      if (Number(info.file_size ?? 0) > limit) throw new PermanentJobError(`media over the ${p.type} limit`);
      const res = await deps.graph.download(channel, info.url);
      if (res.status === 200) return { body: res.body, info, limit };
      res.body.resume();
      if (res.status !== 404) throw new Error(`media download answered ${res.status}`);
    }
    throw new Error(`media URL kept expiring (job ${job.id})`);
  }

  return async function fetchMedia(job: OutboxJob): Promise<void> {
    const p = payload.parse(job.payload);
    const key = await customerKey(job.tenantId, p.contactId);
    const { body, info, limit } = await openDownload(job, p);
    const blobId = newId('md');
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > limit) return done(new PermanentJobError('media over its size limit'));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await deps.blobs.put(job.tenantId, blobId, body, [
      meter,
      createEncryptStream(key, blobAd(job.tenantId, blobId)),
    ]);
    const expected = info.sha256 ?? p.media.sha256;
    const digest = hash.digest();
    if (expected && !matchesDigest(digest, expected)) {
      await deps.blobs.delete(job.tenantId, blobId);
      throw new Error('media sha256 does not match');
    }
    const inserted = await deps.db
      .insertInto('media')
      .values({
        id: blobId,
        tenant_id: job.tenantId,
        contact_id: p.contactId,
        message_id: p.messageId,
        key_version: key.id,
        mime_type: info.mime_type.slice(0, 200),
        size_bytes: size,
        created_at: deps.clock.now().toISOString(),
      })
      .onConflict((oc) => oc.column('message_id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) await deps.blobs.delete(job.tenantId, blobId);
  };
}

/** Meta sends sha256 as base64 today; some payloads use hex. Accept both. */
export function matchesDigest(digest: Buffer, expected: string): boolean {
  const trimmed = expected.trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return digest.toString('hex') === trimmed.toLowerCase();
  return digest.toString('base64').replace(/=+$/, '') === trimmed.replace(/=+$/, '');
}

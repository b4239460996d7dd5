import type { Readable } from 'node:stream';
import { createDecryptStream } from '../../lib/crypto/stream.ts';
import { KeyNotFoundError, NotFoundError } from '../../lib/errors.ts';
import type { Db } from '../../db/database.ts';
import * as contactsRepo from '../contacts/contacts.repository.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { BlobStore } from './blob-store.ts';
import { blobAd } from './media-fetch.ts';

/** Decrypts stored media on the fly for an authorised download; nothing is written in the clear. */
export function createMediaService(deps: {
  db: Db;
  keyring: Pick<Keyring, 'openContactKey' | 'contactKey'>;
  blobs: BlobStore;
}) {
  return {
    async open(
      tenantId: string,
      mediaId: string,
    ): Promise<{ mimeType: string; size: number; stream: Readable }> {
      const media = await deps.db
        .selectFrom('media')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', mediaId)
        .executeTakeFirst();
      if (!media) throw new NotFoundError('Media');
      const contact = await contactsRepo.findById(deps.db, tenantId, media.contact_id);
      if (!contact?.key_wrapped) throw new NotFoundError('Media');
      const key = await deps.keyring.openContactKey(
        tenantId,
        contact.id,
        contact.key_version,
        contact.key_wrapped,
      );
      // After a customer-key rotation the blob may still be under an older version until the
      // re-encryption job reaches it: the blob's header names the version, both are at hand.
      const keys = new Map([[key.id, key]]);
      if (media.key_version !== key.id)
        keys.set(media.key_version, await deps.keyring.contactKey(tenantId, contact.id, media.key_version));
      const stream = deps.blobs.get(tenantId, mediaId).pipe(
        createDecryptStream(
          (v) => {
            const found = keys.get(v);
            if (!found) throw new KeyNotFoundError(v);
            return found;
          },
          blobAd(tenantId, mediaId),
        ),
      );
      return { mimeType: media.mime_type, size: media.size_bytes, stream };
    },
  };
}

export type MediaService = ReturnType<typeof createMediaService>;

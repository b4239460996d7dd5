import assert from 'node:assert/strict';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { findById } from '../src/features/contacts/contacts.repository.ts';
import { openArchive } from '../src/features/dsr/export-archive.ts';
import { createLocalBlobStore } from '../src/features/media/blob-store.ts';
import { blobAd } from '../src/features/media/media-fetch.ts';
import { createEncryptStream } from '../src/lib/crypto/stream.ts';
import { newId } from '../src/lib/ids.ts';
import { asStaff, startAccessFixture, type AccessFixture } from './support/access.ts';
import { metaJson, PHONE_NUMBER_ID, sign, textMessage, WABA_ID } from './support/meta.ts';
import { databaseTargets } from './support/targets.ts';

const secrets = {
  appSecret: 'dsr-media-app-secret-0123456789',
  verifyToken: 'dsr-media-verify',
  accessToken: 'EAAG-dsr-media-access-token-0123',
  phoneNumberId: PHONE_NUMBER_ID,
  wabaId: WABA_ID,
};
const reason = { reason: 'customer letter ref 2026-301' };
const PHOTO = Buffer.from('dsr export: a photo of the parcel label');

for (const target of databaseTargets()) {
  describe(`an access archive holds the customer's messages and media (${target.name})`, () => {
    let f: AccessFixture;

    before(async () => {
      f = await startAccessFixture(target);
    });
    after(() => f.close());

    test('the JSON lists every message with its content and every media file, bytes included', async () => {
      const admin = await f.hire('admin');
      const { webhookPath } = await f.t.runtime.channels.add(f.acme, secrets);
      const body = metaJson(
        textMessage('16505550777', 'Cleo Export', 'wamid.HBgLMTY1MDU1NTA3NzcVAgASGBQzQUFBQQ', 'where is it?'),
      );
      const hook = await f.app.inject({
        method: 'POST',
        url: webhookPath,
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, secrets.appSecret) },
        payload: body,
      });
      assert.equal(hook.statusCode, 200);
      const { db } = f.t.runtime.database;
      const message = await db
        .selectFrom('messages')
        .select(['id', 'contact_id'])
        .where('tenant_id', '=', f.acme.id)
        .where('direction', '=', 'inbound')
        .executeTakeFirstOrThrow();
      // A media file on that message, stored the way the media fetch job stores it.
      const contact = (await findById(db, f.acme.id, message.contact_id))!;
      const key = await f.t.runtime.keyring.openContactKey(
        f.acme.id,
        contact.id,
        contact.key_version,
        contact.key_wrapped!,
      );
      const mediaId = newId('md');
      await createLocalBlobStore(path.join(f.t.runtime.config.dataDir, 'blobs')).put(
        f.acme.id,
        mediaId,
        Readable.from([PHOTO]),
        [createEncryptStream(key, blobAd(f.acme.id, mediaId))],
      );
      await db
        .insertInto('media')
        .values({
          id: mediaId,
          tenant_id: f.acme.id,
          contact_id: contact.id,
          message_id: message.id,
          key_version: key.id,
          mime_type: 'image/jpeg',
          size_bytes: PHOTO.length,
          created_at: new Date().toISOString(),
        })
        .execute();

      const created = await asStaff(f.app, admin).post('/api/v1/dsr/requests', {
        contactId: contact.id,
        type: 'access',
        ...reason,
      });
      assert.equal(created.statusCode, 201, created.body);
      const { id } = JSON.parse(created.body) as { id: string };
      const done = await asStaff(f.app, admin).post(`/api/v1/dsr/requests/${id}/execute`, reason);
      assert.equal(done.statusCode, 200, done.body);
      const { downloadUrl, passphrase } = JSON.parse(done.body) as {
        downloadUrl: string;
        passphrase: string;
      };
      const archive = (await f.app.inject({ method: 'GET', url: new URL(downloadUrl).pathname })).rawPayload;
      assert.ok(!archive.includes(PHOTO), 'the media travels encrypted');
      const doc = JSON.parse(openArchive(archive, passphrase).toString('utf8')) as {
        messages: { id: string; direction: string; content: { text?: { body: string } } }[];
        media: { id: string; messageId: string; mimeType: string; size: number; base64: string }[];
      };
      assert.deepEqual(
        doc.messages.map((m) => [m.id, m.direction, m.content.text?.body]),
        [[message.id, 'inbound', 'where is it?']],
      );
      assert.equal(doc.media.length, 1);
      const [media] = doc.media;
      assert.deepEqual([media!.id, media!.messageId, media!.mimeType], [mediaId, message.id, 'image/jpeg']);
      assert.deepEqual(Buffer.from(media!.base64, 'base64'), PHOTO);
      assert.ok(!f.t.logs.join('\n').includes('16505550777'), 'no phone number in the logs');
    });
  });
}

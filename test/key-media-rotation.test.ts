import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { blobAd } from '../src/features/media/media-fetch.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { startEmulator, type Emulator } from '../src/features/whatsapp/emulator/index.ts';
import { decryptBuffer } from '../src/lib/crypto/stream.ts';
import { DecryptionError } from '../src/lib/errors.ts';
import { testOperator } from './support/actors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const fast = { batchSize: 5, restRatio: 0, minRestMs: 0 };
const cli = { actor: testOperator };

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

for (const target of databaseTargets()) {
  describe(`customer-key rotation re-encrypts that customer's media (${target.name})`, () => {
    let emulator: Emulator;
    let t: TestRuntime;
    let app: FastifyInstance;
    let tenant: Tenant;
    const mediaIds: string[] = [];
    let contactId = '';
    const before1 = new Map<string, Buffer>();

    const blobFile = (id: string) =>
      path.join(t.runtime.config.dataDir, 'blobs', tenant.id, id.slice(-2), id);
    const download = async (id: string) => readAll((await t.runtime.media.open(tenant.id, id)).stream);
    const mediaRows = () =>
      t.runtime.database.db
        .selectFrom('media')
        .select(['id', 'key_version'])
        .where('contact_id', '=', contactId)
        .orderBy('id')
        .execute();

    before(async () => {
      emulator = await startEmulator({
        appSecret: 'km-app-secret-0123456789',
        accessToken: 'km-access-token-0123456789',
        verifyToken: 'km-verify',
      });
      t = await startTestRuntime(target, { env: { CHATVAULT_GRAPH_API_BASE: emulator.url } });
      tenant = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
      const channel = await t.runtime.channels.add(tenant, emulator.channel);
      app = buildApp(t.runtime);
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      emulator.setCallback(`${url}${channel.webhookPath}`, emulator.channel.verifyToken);
      const customer = emulator.customers.find((c) => c.onWhatsApp && c.waId !== undefined)!;
      for (const kind of ['image', 'image', 'document'] as const) await emulator.deliver(kind, { customer });
      await emulator.flush();
      await t.runtime.outbox.drain();
      const rows = await t.runtime.database.db.selectFrom('media').selectAll().orderBy('id').execute();
      assert.ok(rows.length >= 2, 'the emulator delivered media');
      contactId = rows[0]!.contact_id;
      for (const r of rows.filter((r) => r.contact_id === contactId)) {
        mediaIds.push(r.id);
        before1.set(r.id, await download(r.id));
      }
    });
    after(async () => {
      await app.close();
      await t.close();
      await emulator.close();
    });

    test('media downloads byte-identical after the rotation; the old key version opens none of it', async () => {
      const life = t.runtime.keyLifecycle;
      const oldVersion = (await mediaRows())[0]!.key_version;
      const rotated = await life.rotateContact(tenant.id, contactId, cli);
      // Before the job reaches the media, downloads still work (the blob header names its version).
      for (const id of mediaIds) assert.deepEqual(await download(id), before1.get(id));
      const job = await life.runJob(rotated.jobId, fast);
      assert.equal(job.status, 'done');
      assert.deepEqual(
        (await mediaRows()).map((r) => r.key_version),
        mediaIds.map(() => rotated.version),
      );
      t.runtime.keyring.clear();
      for (const id of mediaIds) assert.deepEqual(await download(id), before1.get(id));
      const oldKey = await t.runtime.keyring.contactKey(tenant.id, contactId, oldVersion);
      for (const id of mediaIds) {
        const blob = fs.readFileSync(blobFile(id));
        assert.equal(blob.readUInt32BE(1), rotated.version);
        await assert.rejects(
          decryptBuffer(() => oldKey, blob, blobAd(tenant.id, id)),
          DecryptionError,
        );
      }
      // Nothing of the customer's is left under the old version (messages, consent, fields).
      const refs = (await life.status(tenant.id)).jobs.find((j) => j.id === rotated.jobId)!;
      assert.equal(refs.status, 'done');
    });

    test('a job interrupted between swapping a blob and recording it resumes and ends consistent', async () => {
      const life = t.runtime.keyLifecycle;
      const rotated = await life.rotateContact(tenant.id, contactId, cli);
      const job = await life.runJob(rotated.jobId, fast);
      assert.equal(job.status, 'done');
      // The crash window: blobs already re-encrypted, rows still naming the old version, job in `media`.
      await t.runtime.database.db
        .updateTable('media')
        .set({ key_version: rotated.version - 1 })
        .where('contact_id', '=', contactId)
        .execute();
      await t.runtime.database.db
        .updateTable('key_jobs')
        .set({ status: 'running', phase: 'media', cursor: '', finished_at: null })
        .where('id', '=', rotated.jobId)
        .execute();
      for (const id of mediaIds) assert.deepEqual(await download(id), before1.get(id));
      const resumed = await life.resume(fast);
      assert.equal(resumed, 1);
      assert.deepEqual(
        (await mediaRows()).map((r) => r.key_version),
        mediaIds.map(() => rotated.version),
      );
      t.runtime.keyring.clear();
      for (const id of mediaIds) assert.deepEqual(await download(id), before1.get(id));
      const files = fs.readdirSync(path.dirname(blobFile(mediaIds[0]!)));
      assert.equal(files.filter((f) => f.endsWith('.partial')).length, 0);
    });
  });
}

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { startEmulator, type Emulator } from '../src/features/whatsapp/emulator/index.ts';
import { WindowClosedError } from '../src/lib/errors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';
import { testReveal } from './support/actors.ts';
import { encodings, findLeaks, postgresDump } from './support/scan.ts';

const system = { type: 'system' as const, id: 'e2e-test' };

/** Every regular file under `dir` (database, WAL, blobs, partial downloads, keys), concatenated. */
function filesUnder(dir: string): Buffer {
  const files = fs.readdirSync(dir, { recursive: true, withFileTypes: true });
  return Buffer.concat(
    files.filter((f) => f.isFile()).map((f) => fs.readFileSync(path.join(f.parentPath, f.name))),
  );
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

for (const target of databaseTargets()) {
  describe(`WhatsApp channel end to end with the emulator (${target.name})`, () => {
    let emulator: Emulator;
    let t: TestRuntime;
    let app: FastifyInstance;
    let tenant: Tenant;

    const count = async (table: 'messages' | 'media' | 'consent_events' | 'conversations') =>
      Number(
        (
          await t.runtime.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const waitFor = async (check: () => Promise<boolean>, ms = 10_000) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail('condition not reached in time');
    };

    before(async () => {
      emulator = await startEmulator({
        appSecret: 'e2e-app-secret-0123456789',
        accessToken: 'e2e-access-token-0123456789',
        verifyToken: 'e2e-verify-token',
        seed: 7,
        statusDelaysMs: { sent: 5, delivered: 10, read: 20 },
      });
      t = await startTestRuntime(target, { env: { CHATVAULT_GRAPH_API_BASE: emulator.url } });
      tenant = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
      const channel = await t.runtime.channels.add(tenant, emulator.channel);
      app = buildApp(t.runtime);
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      emulator.setCallback(`${url}${channel.webhookPath}`, emulator.channel.verifyToken);
      assert.equal(await emulator.subscribe(), true);
    });
    after(async () => {
      await emulator.close();
      await app.close();
      await t.close();
    });

    test('inbound traffic of every kind, with duplicates and retries, is stored exactly once', async () => {
      const ids: string[] = [];
      for (const kind of [
        'text',
        'location',
        'contacts',
        'button_reply',
        'list_reply',
        'button',
        'reaction',
        'sticker',
        'unsupported',
      ] as const) {
        ids.push(...(await emulator.deliver(kind, { count: 3 })).ids);
      }
      const again = await emulator.deliver('text', { count: 5 });
      ids.push(...again.ids);
      await emulator.flush();
      assert.equal(emulator.stats().webhooks.dropped, 0);
      // Inbound only: a "Stop promotions" quick reply among them is confirmed by an outbound reply.
      const inbound = await t.runtime.database.db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('direction', '=', 'inbound')
        .executeTakeFirstOrThrow();
      assert.equal(Number(inbound.n), new Set(ids).size);
    });

    test('media is fetched through the Graph API, checked, and stored only encrypted', async () => {
      const customer = emulator.customers.find((c) => c.onWhatsApp && c.waId !== undefined)!;
      await emulator.deliver('image', { customer });
      await emulator.deliver('document', { customer });
      await emulator.flush();
      await t.runtime.outbox.drain();
      assert.equal(await count('media'), 5, 'three stickers, the image and the document');
      const rows = await t.runtime.database.db.selectFrom('media').selectAll().execute();
      for (const row of rows) {
        const opened = await t.runtime.media.open(tenant.id, row.id);
        const clear = await readAll(opened.stream);
        assert.equal(clear.length, row.size_bytes);
        const blob = fs.readFileSync(path.join(t.dataDir, 'blobs', tenant.id, row.id.slice(-2), row.id));
        assert.ok(!blob.includes(clear.subarray(0, 64)), 'the stored blob is not the plaintext');
        assert.notEqual(
          createHash('sha256').update(blob).digest('hex'),
          createHash('sha256').update(clear).digest('hex'),
        );
      }
      const leftovers = fs
        .readdirSync(path.join(t.dataDir, 'blobs', tenant.id), { recursive: true })
        .filter((f) => String(f).endsWith('.partial'));
      assert.deepEqual(leftovers, []);
    });

    test('a reply inside the window is sent through the outbox and its statuses come back', async () => {
      const customer = emulator.customers.find(
        (c) => c.onWhatsApp && c.waId !== undefined && c.behaviour === 'reads',
      )!;
      await emulator.deliver('text', { customer });
      await emulator.flush();
      const contact = await t.runtime.contacts.findByIdentity(tenant, { waId: customer.waId! }, testReveal);
      assert.ok(contact);
      const { messageId } = await t.runtime.messaging.send(tenant, contact.id, {
        type: 'text',
        text: { body: 'Thanks, on its way!' },
      });
      await t.runtime.outbox.drain();
      assert.ok(emulator.sent().some((s) => s.to.replace(/\D/g, '') === customer.waId));
      await waitFor(async () => {
        await emulator.flush();
        const row = await t.runtime.database.db
          .selectFrom('messages')
          .select('status')
          .where('id', '=', messageId)
          .executeTakeFirstOrThrow();
        return row.status === 'read';
      });
    });

    test('free-form outside the window is refused locally; a template to an opted-out customer records the opt-out', async () => {
      const fresh = await t.runtime.contacts.create(
        tenant,
        { waId: '4915112345678', profileName: 'Nobody Yet' },
        system,
      );
      await assert.rejects(
        t.runtime.messaging.send(tenant, fresh.id, { type: 'text', text: { body: 'hi' } }),
        WindowClosedError,
      );

      const customer = emulator.customers.find(
        (c) => c.onWhatsApp && c.waId !== undefined && !c.marketingLimited,
      )!;
      emulator.customers.setOptOut(customer, true);
      await emulator.deliver('text', { customer });
      await emulator.flush();
      const contact = await t.runtime.contacts.findByIdentity(tenant, { waId: customer.waId! }, testReveal);
      // Marketing needs a standing opt-in (issue 8); Meta still knows the customer opted out there.
      await t.runtime.consent.importEvents(
        tenant.id,
        [
          {
            contactId: contact!.id,
            purpose: 'marketing',
            event: 'opt_in',
            at: new Date(0),
            evidence: { method: 'test' },
          },
        ],
        system,
      );
      const before = await count('consent_events');
      const { messageId } = await t.runtime.messaging.send(tenant, contact!.id, {
        type: 'template',
        template: { name: 'spring_sale', language: { code: 'en_US' } },
      });
      await t.runtime.outbox.drain();
      const row = await t.runtime.database.db
        .selectFrom('messages')
        .selectAll()
        .where('id', '=', messageId)
        .executeTakeFirstOrThrow();
      assert.ok(['failed', 'undeliverable'].includes(row.status), row.status);
      if (row.error_code === 131050) assert.equal(await count('consent_events'), before + 1);
    });

    test('nothing readable about the simulated customers reaches the files, the blob store or the logs', async () => {
      const customer = emulator.customers.find((c) => c.onWhatsApp && c.waId !== undefined)!;
      const secretText = 'Please deliver to flat 12B, the code is 4711 — Ünïcödé';
      const delivery = {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: emulator.channel.wabaId,
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: {
                    display_phone_number: '15550783881',
                    phone_number_id: emulator.channel.phoneNumberId,
                  },
                  contacts: [{ profile: { name: customer.profileName }, wa_id: customer.waId }],
                  messages: [
                    {
                      from: customer.waId,
                      id: 'wamid.E2E-LEAK-CHECK-000000000000000001',
                      timestamp: String(Math.floor(Date.now() / 1000)),
                      type: 'text',
                      text: { body: secretText },
                    },
                  ],
                },
              },
            ],
          },
        ],
      };
      const before = await count('messages');
      await emulator.deliver(delivery);
      await emulator.flush();
      assert.equal(await count('messages'), before + 1, 'the marked message was stored');

      const mediaSlices: Buffer[] = [];
      for (const row of await t.runtime.database.db.selectFrom('media').selectAll().execute()) {
        const clear = await readAll((await t.runtime.media.open(tenant.id, row.id)).stream);
        if (clear.length >= 96) mediaSlices.push(clear.subarray(32, 96));
      }
      assert.ok(mediaSlices.length > 0, 'media was ingested');

      const haystack = Buffer.concat([
        filesUnder(t.dataDir),
        target.name === 'postgres'
          ? postgresDump(t.env.CHATVAULT_DATABASE_URL!, t.env.CHATVAULT_DATABASE_SCHEMA!)
          : Buffer.alloc(0),
        Buffer.from(t.logs.join('')),
      ]);
      // Short names could turn up by chance in megabytes of ciphertext; phones and long names cannot.
      const people = emulator.customers.list.map((c) => ({
        phone: c.phone,
        profileName: c.profileName.length >= 8 ? c.profileName : c.phone,
        email: `${c.userId}@invalid.example`,
      }));
      const control = Buffer.concat([haystack.subarray(0, 4096), Buffer.from(customer.phone)]);
      assert.notDeepEqual(findLeaks(control, people as never), [], 'the scan finds a planted number');
      assert.deepEqual(findLeaks(haystack, people as never), []);
      for (const bytes of encodings(secretText)) assert.ok(!haystack.includes(bytes), 'message text');
      for (const slice of mediaSlices) assert.ok(!haystack.includes(slice), 'media bytes');
    });
  });
}

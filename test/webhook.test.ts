import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { findLeaks, postgresDump, sqliteBytes } from './support/scan.ts';
import { databaseTargets } from './support/targets.ts';
import { messagesDelivery, metaJson, PHONE_NUMBER_ID, sign, textMessage, WABA_ID } from './support/meta.ts';
import { testReveal } from './support/actors.ts';

const secrets = {
  appSecret: 'app-secret-0123456789abcdef',
  verifyToken: 'verify-token-xyz',
  accessToken: 'EAAG-access-token-0123456789',
  phoneNumberId: PHONE_NUMBER_ID,
  wabaId: WABA_ID,
};

const customer = {
  waId: '16505551234',
  phone: '+16505551234',
  profileName: 'Sheena Nélson',
  email: 'x@example.com',
};

for (const target of databaseTargets()) {
  describe(`WhatsApp webhook ingest (${target.name})`, () => {
    let t: TestRuntime;
    let app: FastifyInstance;
    let tenant: Tenant;
    let path = '';

    const post = (body: Buffer, signature: string | null = sign(body, secrets.appSecret)) =>
      app.inject({
        method: 'POST',
        url: path,
        headers: {
          'content-type': 'application/json',
          ...(signature ? { 'x-hub-signature-256': signature } : {}),
        },
        payload: body,
      });
    const count = async (table: 'messages' | 'contacts' | 'message_statuses' | 'consent_events' | 'outbox') =>
      Number(
        (
          await t.runtime.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    before(async () => {
      t = await startTestRuntime(target);
      tenant = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      path = (await t.runtime.channels.add(tenant, secrets)).webhookPath;
      app = buildApp(t.runtime);
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    test('the subscription handshake echoes the challenge only for the right verify token', async () => {
      const good = await app.inject(
        `${path}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${secrets.verifyToken}`,
      );
      assert.equal(good.statusCode, 200);
      assert.equal(good.body, '1158201444');
      const bad = await app.inject(
        `${path}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=nope`,
      );
      assert.equal(bad.statusCode, 403);
      assert.ok(!bad.body.includes('1158201444'));
      assert.equal((await app.inject('/webhooks/whatsapp/ch_00000000000000000000000000')).statusCode, 404);
    });

    test('a signed text message is stored once, encrypted, with its customer, even when delivered twice', async () => {
      const body = metaJson(
        textMessage(
          customer.waId,
          customer.profileName,
          'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
          'Does it come in another color? ä/ö',
        ),
      );
      assert.ok(body.includes(Buffer.from('\\u00e9')), 'the body carries escaped unicode like Meta');
      const first = await post(body);
      assert.equal(first.statusCode, 200, first.body);
      const again = await post(body);
      assert.equal(again.statusCode, 200);
      assert.equal(again.json<{ duplicates: number }>().duplicates, 1);
      assert.equal(await count('messages'), 1);
      const conversation = await t.runtime.database.db
        .selectFrom('conversations')
        .select('unread')
        .executeTakeFirstOrThrow();
      assert.equal(Number(conversation.unread), 1, 'a redelivery does not count as a new unread message');
      const [found] = await t.runtime.contacts.findByPhone(tenant, customer.phone, {
        actor: { type: 'system', id: 'test' },
        reason: 'verifying webhook ingest',
      } as never);
      assert.equal(found?.profileName, customer.profileName);
    });

    test('a wrong, missing or truncated signature, or a re-serialised body, is refused and stores nothing', async () => {
      const body = metaJson(textMessage('16505550000', 'Ève', 'wamid.EVE1', 'hello/there'));
      const before = await count('messages');
      const good = sign(body, secrets.appSecret);
      for (const signature of [sign(body, 'wrong-secret-000000'), null, good.slice(0, -2), 'sha1=abc', '']) {
        assert.equal((await post(body, signature)).statusCode, 401);
      }
      const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString())));
      assert.notDeepEqual(reserialised, body);
      assert.equal((await post(reserialised, good)).statusCode, 401);
      assert.equal(await count('messages'), before);
      const refused = await t.runtime.database.db
        .selectFrom('audit_entries')
        .select('action')
        .where('action', '=', 'authn_token_invalid')
        .execute();
      assert.ok(refused.length >= 5, 'each refusal is audited');
    });

    test('a body over 3 MB is refused with 413', async () => {
      const body = Buffer.alloc(3 * 1024 * 1024 + 10, 0x20);
      assert.equal((await post(body)).statusCode, 413);
    });

    test('a signed body that is not a Meta envelope is a 400, not a 5xx', async () => {
      for (const value of [
        '{}',
        '[]',
        'not json',
        '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp"}}]}]}',
      ]) {
        const res = await post(Buffer.from(value));
        assert.equal(res.statusCode, 400, value);
      }
    });

    test('every kind of update in the reference is accepted: media, documents, replies, statuses, errors, opt-outs, BSUIDs', async () => {
      const wa = '8613812345678';
      const contacts = [{ profile: { name: '张伟' }, wa_id: wa }];
      const m = (id: string, type: string, extra: object) => ({
        from: wa,
        id,
        timestamp: '1750025136',
        type,
        ...extra,
      });
      const image = {
        caption: 'Taj Mahal',
        mime_type: 'image/jpeg',
        sha256: 'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=',
        id: '1003383421387256',
      };
      const deliveries = [
        messagesDelivery({ contacts, messages: [m('wamid.IMG', 'image', { image })] }),
        messagesDelivery({
          contacts,
          messages: [
            m('wamid.DOC', 'document', {
              document: {
                ...image,
                id: '622684793477189',
                filename: 'receipt.pdf',
                mime_type: 'application/pdf',
              },
            }),
          ],
        }),
        messagesDelivery({
          contacts,
          messages: [
            m('wamid.BTN', 'interactive', {
              context: { from: '15550783881', id: 'wamid.X' },
              interactive: { type: 'button_reply', button_reply: { id: 'cancel-button', title: 'Cancel' } },
            }),
          ],
        }),
        messagesDelivery({
          contacts,
          messages: [
            m('wamid.LST', 'interactive', {
              interactive: {
                type: 'list_reply',
                list_reply: { id: 'p', title: 'Priority', description: 'Next day' },
              },
            }),
          ],
        }),
        messagesDelivery({
          contacts,
          messages: [m('wamid.QR', 'button', { button: { payload: 'Unsubscribe', text: 'Unsubscribe' } })],
        }),
        messagesDelivery({
          contacts,
          messages: [
            m('wamid.LOC', 'location', { location: { latitude: 31.2, longitude: 121.4, name: 'Office' } }),
          ],
        }),
        messagesDelivery({
          contacts,
          messages: [m('wamid.RCT', 'reaction', { reaction: { message_id: 'wamid.X', emoji: '👍' } })],
        }),
        messagesDelivery({
          contacts,
          messages: [
            m('wamid.UNS', 'unsupported', {
              errors: [{ code: 131051, title: 'Message type unknown' }],
              future_field: { kept: true },
            }),
          ],
        }),
        messagesDelivery({
          contacts: [{ user_id: 'US.13491208655302741918', profile: { name: 'Only BSUID' } }],
          messages: [
            {
              from_user_id: 'US.13491208655302741918',
              id: 'wamid.BSUID',
              timestamp: '1750025136',
              type: 'text',
              text: { body: 'hi' },
            },
          ],
        }),
        messagesDelivery({
          statuses: [
            {
              id: 'wamid.OUT1',
              status: 'sent',
              timestamp: '1750030073',
              recipient_id: wa,
              pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing' },
            },
            {
              id: 'wamid.OUT1',
              status: 'failed',
              timestamp: '1751142888',
              recipient_id: wa,
              errors: [{ code: 131049, title: 'x', message: 'x', error_data: { details: 'x' } }],
            },
          ],
        }),
        messagesDelivery({
          errors: [
            {
              code: 130429,
              title: 'Rate limit hit',
              message: 'Rate limit hit',
              error_data: { details: 'x' },
            },
          ],
        }),
        messagesDelivery(
          {
            contacts: [{ wa_id: wa }],
            user_preferences: [
              {
                wa_id: wa,
                detail: 'User requested to stop marketing messages',
                category: 'marketing_messages',
                value: 'stop',
                timestamp: 1731705721,
              },
            ],
          },
          'user_preferences',
        ),
        messagesDelivery({ event: 'APPROVED', message_template_id: 1 }, 'message_template_status_update'),
      ];
      for (const delivery of deliveries) {
        const res = await post(metaJson(delivery));
        assert.equal(res.statusCode, 200, res.body);
      }
      assert.equal(await count('outbox'), 2, 'image and document fetches were queued');
      assert.equal(await count('message_statuses'), 2);
      // The reference's "Unsubscribe" quick-reply button and the user_preferences stop (issue 8).
      assert.equal(await count('consent_events'), 2);
      const bsuid = await t.runtime.contacts.findByIdentity(
        tenant,
        { userId: 'US.13491208655302741918' },
        testReveal,
      );
      assert.ok(bsuid);
    });

    test('nothing readable about the customers reaches the database or the logs', () => {
      const bytes =
        target.name === 'sqlite'
          ? sqliteBytes(t.dataDir)
          : postgresDump(t.env.CHATVAULT_DATABASE_URL!, t.env.CHATVAULT_DATABASE_SCHEMA!);
      const people = [
        { ...customer, email: 'none@invalid.example' },
        {
          waId: '8613812345678',
          phone: '+8613812345678',
          profileName: '张伟',
          email: 'none@invalid.example',
        },
      ];
      assert.deepEqual(findLeaks(bytes, people as never), []);
      for (const text of [
        'Does it come in another color',
        'Taj Mahal',
        'receipt.pdf',
        secrets.appSecret,
        secrets.accessToken,
      ]) {
        assert.ok(!bytes.includes(Buffer.from(text)), text);
      }
      assert.deepEqual(findLeaks(Buffer.from(t.logs.join('')), people as never), []);
      assert.ok(!t.logs.join('').includes(secrets.appSecret));
    });
  });
}

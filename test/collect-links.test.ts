import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { COLLECT_CSP } from '../src/features/collect/collect.routes.ts';
import { sealEnvelope } from '../src/features/collect/envelope.ts';
import { startDlpFixture, type DlpFixture } from './dlp-fixture.ts';
import { databaseTargets } from './support/targets.ts';

const ID = '11010519491231002X';

for (const target of databaseTargets()) {
  describe(`secure collection links (${target.name})`, () => {
    let f: DlpFixture;
    before(async () => {
      f = await startDlpFixture(target, 12);
    });
    after(async () => {
      await f.close();
    });

    const linksUrl = () => `/api/v1/conversations/${f.conversationId}/collect-links`;
    const pub = (method: 'GET' | 'POST', url: string, token: string, payload?: unknown) =>
      f.app.inject({
        method,
        url,
        headers: { 'x-collect-token': token },
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });

    /** Creates a link and returns its id and the token the customer received (only Meta's side has it). */
    async function newLink(template = 'customs_id', language = 'en') {
      const before = f.emulator.sent().length;
      const res = await f.who.agent.client.post(linksUrl(), { template, language });
      assert.equal(res.statusCode, 201, res.body);
      const sent = (await f.sent(before + 1)).slice(before);
      assert.equal(sent.length, 1, 'the notice and the link go out as one message, notice first');
      const body = (sent[0]!.request as { text: { body: string } }).text.body;
      const [notice, link] = body.split('\n\n');
      const token = /\/collect\/#([A-Za-z0-9_-]{43})$/.exec(link!)?.[1];
      assert.ok(token, 'the link message carries the token in the URL fragment');
      return {
        ...res.json<{ linkId: string; messageId: string }>(),
        token,
        notice: notice!,
        link: link!,
      };
    }

    test('an agent sends the end-to-end notice then a one-time link; only the token hash is stored', async () => {
      const { linkId, token, notice } = await newLink();
      assert.match(notice, /end-to-end encrypted/);
      assert.match(notice, /customs/);
      const row = await f.t.runtime.database.db
        .selectFrom('collect_links')
        .selectAll()
        .where('id', '=', linkId)
        .executeTakeFirstOrThrow();
      assert.deepEqual(Buffer.from(row.token_hash), createHash('sha256').update(token).digest());
      assert.equal(row.status, 'pending');
      const shown = await f.who.agent.client.get(`/api/v1/conversations/${f.conversationId}/messages`);
      assert.ok(!shown.body.includes(token), 'the stored link message holds a placeholder, not the token');
      assert.ok(shown.body.includes(`{{collect-token:${linkId}}}`));
      assert.equal((await f.who.agent2.client.post(linksUrl(), { template: 'invoice' })).statusCode, 403);
      assert.equal((await f.who.agent.client.post(linksUrl(), { template: 'passwords' })).statusCode, 400);
    });

    test('the hosted page is static, under the strict CSP, and the form names the tenant public key', async () => {
      const page = await f.app.inject('/collect/');
      assert.equal(page.statusCode, 200);
      assert.equal(page.headers['content-security-policy'], COLLECT_CSP);
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.equal(page.headers['referrer-policy'], 'no-referrer');
      assert.ok(
        !/<script>|style=|https?:\/\//.test(page.body),
        'no inline script or style, nothing third-party',
      );
      const { token } = await newLink('delivery_address', 'zh');
      const form = await pub('GET', '/collect/form', token);
      assert.equal(form.statusCode, 200, form.body);
      const body = form.json<{
        title: string;
        fields: { name: string }[];
        publicKey: string;
        keyVersion: number;
      }>();
      assert.equal(body.title, '收货地址');
      assert.deepEqual(
        body.fields.map((x) => x.name),
        ['name', 'address', 'postcode', 'phone'],
      );
      assert.equal(form.headers['content-security-policy'], COLLECT_CSP);
      assert.equal((await pub('GET', '/collect/form', 'A'.repeat(43))).statusCode, 404);
      assert.equal((await f.app.inject('/collect/form')).statusCode, 404);
    });

    test('a submitted form is stored as ciphertext, once; the owner reveals it, an agent may not', async () => {
      const { linkId, token } = await newLink();
      const form = (await pub('GET', '/collect/form', token)).json<{
        publicKey: string;
        keyVersion: number;
      }>();
      const values = { name: 'Wei Zhang', id_number: ID };
      const envelope = sealEnvelope(
        Buffer.from(form.publicKey, 'base64'),
        form.keyVersion,
        linkId,
        Buffer.from(JSON.stringify(values)),
      );
      const submitted = await pub('POST', '/collect/submit', token, envelope);
      assert.equal(submitted.statusCode, 204, submitted.body);
      assert.equal((await pub('POST', '/collect/submit', token, envelope)).statusCode, 404, 'single use');
      assert.equal((await pub('GET', '/collect/form', token)).statusCode, 404);

      const list = await f.who.agent.client.get(`/api/v1/conversations/${f.conversationId}/messages`);
      const message = list
        .json<{ messages: { id: string; type: string; restricted?: string[] }[] }>()
        .messages.find((m) => m.type === 'secure_form')!;
      assert.deepEqual(message.restricted, ['customs_id']);
      assert.ok(!list.body.includes(ID));
      const revealUrl = `/api/v1/conversations/${f.conversationId}/messages/${message.id}/restricted`;
      assert.equal(
        (await f.who.agent.client.post(revealUrl, { reason: 'customs declaration' })).statusCode,
        403,
      );
      const revealed = await f.who.owner.client.post(revealUrl, {
        reason: 'customs declaration for order 5821',
      });
      assert.equal(revealed.statusCode, 200, revealed.body);
      assert.deepEqual(revealed.json<{ fields: Record<string, string> }>().fields, values);
    });

    test('an envelope that is not for its link, or malformed, is refused or never opens', async () => {
      const a = await newLink();
      const b = await newLink();
      const form = (await pub('GET', '/collect/form', a.token)).json<{
        publicKey: string;
        keyVersion: number;
      }>();
      assert.equal((await pub('POST', '/collect/submit', a.token, { v: 1, ct: 'x' })).statusCode, 400);
      const forB = sealEnvelope(
        Buffer.from(form.publicKey, 'base64'),
        form.keyVersion,
        b.linkId,
        Buffer.from('{}'),
      );
      assert.equal((await pub('POST', '/collect/submit', a.token, forB)).statusCode, 204);
      const list = await f.who.agent.client.get(`/api/v1/conversations/${f.conversationId}/messages`);
      const last = list
        .json<{ messages: { id: string; type: string }[] }>()
        .messages.filter((m) => m.type === 'secure_form')
        .at(-1)!;
      const res = await f.who.owner.client.post(
        `/api/v1/conversations/${f.conversationId}/messages/${last.id}/restricted`,
        { reason: 'checking a moved envelope' },
      );
      // Bound to link B through the HKDF info and GCM additional data: stored under A, it never opens.
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'decryption_failed', res.body);
      assert.ok(!res.body.includes('fields'));
    });

    test('the notice is configurable per tenant, and links expire after 30 minutes', async () => {
      const notice = {
        en: 'Our chat is end-to-end encrypted; this form keeps your details out of it ({purpose}).',
        zh: '本聊天端到端加密；此表单让您的信息不经过聊天（{purpose}）。',
      };
      assert.equal(
        (await f.who.agent.client.request('PUT', '/api/v1/collect/notice', { notice })).statusCode,
        403,
      );
      const set = await f.who.owner.client.request('PUT', '/api/v1/collect/notice', { notice });
      assert.equal(set.statusCode, 200, set.body);
      const link = await newLink('invoice');
      assert.equal(
        link.notice,
        'Our chat is end-to-end encrypted; this form keeps your details out of it (to issue your invoice).',
      );
      assert.equal((await pub('GET', '/collect/form', link.token)).statusCode, 200);
      f.clock.advance(31 * 60);
      assert.equal((await pub('GET', '/collect/form', link.token)).statusCode, 404);
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sealEnvelope } from '../src/features/collect/envelope.ts';
import { PER_IP, PER_TOKEN } from '../src/features/collect/rate-limit.ts';
import { startDlpFixture, type DlpFixture } from './dlp-fixture.ts';
import { databaseTargets } from './support/targets.ts';

interface ErrorBody {
  error: { code: string; message: string };
}

for (const target of databaseTargets()) {
  describe(`collect links: rate limits and clean-up (${target.name})`, () => {
    let f: DlpFixture;
    before(async () => {
      f = await startDlpFixture(target, 14);
    });
    after(async () => {
      await f.close();
    });

    const from = (ip: string, url: string, token?: string) =>
      f.app.inject({
        method: 'GET',
        url,
        remoteAddress: ip,
        ...(token === undefined ? {} : { headers: { 'x-collect-token': token } }),
      });

    /** Creates a link and returns its id and the token the customer received. */
    async function newLink(template = 'invoice', expiresInMinutes = 30) {
      const before = f.emulator.sent().length;
      const res = await f.who.agent.client.post(`/api/v1/conversations/${f.conversationId}/collect-links`, {
        template,
        expiresInMinutes,
      });
      assert.equal(res.statusCode, 201, res.body);
      const sent = (await f.sent(before + 1)).slice(before);
      const body = (sent[0]!.request as { text: { body: string } }).text.body;
      const token = /\/collect\/#([A-Za-z0-9_-]{43})$/.exec(body)?.[1];
      assert.ok(token);
      return { ...res.json<{ linkId: string }>(), token };
    }

    function assertLimited(res: Awaited<ReturnType<typeof from>>, windowSeconds: number, what: RegExp) {
      assert.equal(res.statusCode, 429, res.body);
      const wait = Number(res.headers['retry-after']);
      assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= windowSeconds, `Retry-After ${wait}`);
      const body = res.json<ErrorBody>();
      assert.equal(body.error.code, 'rate_limited');
      assert.match(body.error.message, what);
      assert.ok(!body.error.message.includes('\n'), 'the reason is one line');
    }

    test('one address past its limit gets 429 with Retry-After; other addresses do not; the window passes', async () => {
      for (let i = 0; i < PER_IP.max; i++)
        assert.equal((await from('10.0.0.1', '/collect/collect.css')).statusCode, 200);
      assertLimited(await from('10.0.0.1', '/collect/'), PER_IP.windowMs / 1000, /this address/);
      assertLimited(await from('10.0.0.1', '/collect/form', 'A'.repeat(43)), 60, /this address/);
      assert.equal((await from('10.0.0.2', '/collect/')).statusCode, 200, 'another address is not limited');
      assert.equal((await f.app.inject('/api/openapi.json')).statusCode, 200, 'only /collect/* is limited');
      f.clock.advance(PER_IP.windowMs / 1000 + 1);
      assert.equal((await from('10.0.0.1', '/collect/')).statusCode, 200, 'a new window starts');
    });

    test('one link token past its limit gets 429 from any address; other tokens are not affected', async () => {
      const link = await newLink();
      for (let i = 0; i < PER_TOKEN.max; i++) {
        const res = await from(`10.1.${i >> 8}.${i & 255}`, '/collect/form', link.token);
        assert.equal(res.statusCode, 200, res.body);
      }
      assertLimited(
        await from('10.2.0.1', '/collect/form', link.token),
        PER_TOKEN.windowMs / 1000,
        /this link/,
      );
      assert.equal(
        (await from('10.2.0.1', '/collect/form', 'B'.repeat(43))).statusCode,
        404,
        'another token is answered as usual',
      );
      f.clock.advance(PER_TOKEN.windowMs / 1000 + 1);
      assert.equal((await from('10.2.0.1', '/collect/form', link.token)).statusCode, 200);
    });

    test('the privacy worker deletes used and expired links, keeps usable ones and the submitted data', async () => {
      const db = f.t.runtime.database.db;
      const used = await newLink('customs_id');
      const usable = await newLink('invoice', 30);
      const expired = await newLink('delivery_address', 5);
      const form = (await from('10.3.0.1', '/collect/form', used.token)).json<{
        publicKey: string;
        keyVersion: number;
      }>();
      const envelope = sealEnvelope(
        Buffer.from(form.publicKey, 'base64'),
        form.keyVersion,
        used.linkId,
        Buffer.from(JSON.stringify({ name: 'Li Na' })),
      );
      const submitted = await f.app.inject({
        method: 'POST',
        url: '/collect/submit',
        remoteAddress: '10.3.0.1',
        headers: { 'x-collect-token': used.token },
        payload: envelope as unknown as Record<string, unknown>,
      });
      assert.equal(submitted.statusCode, 204, submitted.body);
      f.clock.advance(6 * 60);
      const links = () =>
        db
          .selectFrom('collect_links')
          .select('id')
          .where('id', 'in', [used.linkId, usable.linkId, expired.linkId])
          .execute();
      assert.equal((await links()).length, 3);

      await f.t.runtime.privacyWorker.tick();
      assert.deepEqual(
        (await links()).map((r) => r.id),
        [usable.linkId],
      );
      const kept = await db
        .selectFrom('messages')
        .select('id')
        .where('conversation_id', '=', f.conversationId)
        .where('type', '=', 'secure_form')
        .execute();
      assert.equal(kept.length, 1, 'the submission stays in the conversation');
      assert.equal((await from('10.3.0.2', '/collect/form', usable.token)).statusCode, 200);
      assert.equal((await from('10.3.0.2', '/collect/form', expired.token)).statusCode, 404);
      await f.t.runtime.privacyWorker.tick();
      assert.equal((await links()).length, 1, 'running again changes nothing');
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDlpFixture, type DlpFixture } from './dlp-fixture.ts';
import { databaseTargets } from './support/targets.ts';

const CARD = '4242 4242 4242 4242';
const ID = '11010519491231002X';
const URL = '/api/v1/dlp/settings';

interface Settings {
  detectors: Record<string, boolean>;
  outbound: string;
}

for (const target of databaseTargets()) {
  describe(`per-tenant DLP settings (${target.name})`, () => {
    let f: DlpFixture;
    before(async () => {
      f = await startDlpFixture(target, 16);
      seen = (await textBodies()).length;
    });
    after(async () => {
      await f.close();
    });

    const save = async (body: unknown) => {
      const res = await f.who.owner.client.request('PUT', URL, body);
      assert.equal(res.statusCode, 200, res.body);
      return res.json<Settings>();
    };
    const reply = (text: string) =>
      f.who.agent.client.post(`/api/v1/conversations/${f.conversationId}/messages`, {
        type: 'text',
        text: { body: text },
      });
    /** Text messages the emulator received, in order; `seen` of them are already checked. */
    const textBodies = async () =>
      (await f.sent(0))
        .map((s) => (s.request as { text?: { body?: string } }).text?.body)
        .filter((b): b is string => b !== undefined);
    let seen = 0;
    /** The next text message sent after those already checked (the outbox sends asynchronously). */
    const nextSentBody = async () => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const bodies = await textBodies();
        if (bodies.length > seen) return bodies[seen++]!;
        if (Date.now() > deadline) throw new Error('no further text message was sent');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    test('the defaults are the issue’s behaviour; only admins read and change them; bad input is a 400', async () => {
      const res = await f.who.owner.client.get(URL);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json<Settings>(), {
        detectors: { card: true, cn_id: true, iban: true, bank_account: true, passport: true },
        outbound: 'block',
      });
      assert.equal((await f.who.agent.client.get(URL)).statusCode, 403);
      assert.equal((await f.who.agent.client.request('PUT', URL, { outbound: 'warn' })).statusCode, 403);
      for (const bad of [
        { outbound: 'shout' },
        { detectors: { card: 'no' } },
        { detectors: { ssn: false } },
        { x: 1 },
      ]) {
        const refused = await f.who.owner.client.request('PUT', URL, bad);
        assert.equal(refused.statusCode, 400, JSON.stringify(bad));
        assert.ok(!refused.json<{ error: { message: string } }>().error.message.includes('\n'));
      }
      assert.equal((await f.who.owner.client.get(URL)).json<Settings>().outbound, 'block', 'nothing saved');
    });

    test('a detector turned off leaves that kind in inbound bodies; the change is audited', async () => {
      const saved = await save({ detectors: { card: false } });
      assert.equal(saved.detectors.card, false);
      assert.equal(saved.detectors.cn_id, true);
      await f.t.runtime.audit.sequence();
      const entries = (
        await f.t.runtime.audit.query(f.shop.id, { action: 'policy_change', targetId: f.shop.id })
      ).entries.filter((e) => e.target.type === 'dlp_settings');
      assert.equal(entries.length, 1);
      assert.equal(entries[0]!.actor.id, f.who.owner.id);

      await f.inbound(`card ${CARD} and ID ${ID}`);
      const list = await f.who.agent.client.get(`/api/v1/conversations/${f.conversationId}/messages`);
      const last = list.json<{ messages: { text?: string; restricted?: string[] }[] }>().messages.at(-1)!;
      assert.equal(last.text, `card ${CARD} and ID [ID number ending 002X]`);
      assert.deepEqual(last.restricted, ['cn_id']);

      const allowed = await reply(`your card ${CARD} is on file`);
      assert.equal(allowed.statusCode, 202, 'a kind turned off is not refused in replies either');
      assert.equal(await nextSentBody(), `your card ${CARD} is on file`);
      const refused = await reply(`your ID ${ID}`);
      assert.equal(refused.statusCode, 422, refused.body);
      await save({});
    });

    test('outbound mask sends placeholders, warn sends as typed with a warning, block refuses', async () => {
      await save({ outbound: 'mask' });
      const masked = await reply(`charged to ${CARD}, thanks`);
      assert.equal(masked.statusCode, 202, masked.body);
      assert.deepEqual(masked.json<{ dlp: unknown }>().dlp, { action: 'mask', kinds: ['card'] });
      assert.equal(await nextSentBody(), 'charged to [card ending 4242], thanks');

      await save({ outbound: 'warn' });
      const warned = await reply(`charged to ${CARD} again`);
      assert.equal(warned.statusCode, 202, warned.body);
      assert.deepEqual(warned.json<{ dlp: unknown }>().dlp, { action: 'warn', kinds: ['card'] });
      assert.equal(await nextSentBody(), `charged to ${CARD} again`);

      await save({ outbound: 'block' });
      const blocked = await reply(`charged to ${CARD} once more`);
      assert.equal(blocked.statusCode, 422, blocked.body);
      const plain = await reply('thanks for your order');
      assert.equal(plain.statusCode, 202);
      assert.equal(plain.json<{ dlp?: unknown }>().dlp, undefined);
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDlpFixture, type DlpFixture } from './dlp-fixture.ts';
import { encodings, postgresDump, sqliteBytes } from './support/scan.ts';
import { databaseTargets } from './support/targets.ts';

const CARD = '4242 4242 4242 4242';
const ID = '11010519491231002X';

interface View {
  id: string;
  type: string;
  text?: string;
  caption?: string;
  restricted?: string[];
}

for (const target of databaseTargets()) {
  describe(`sensitive data in messages: cut out inbound, refused outbound (${target.name})`, () => {
    let f: DlpFixture;
    before(async () => {
      f = await startDlpFixture(target);
    });
    after(async () => {
      await f.close();
    });

    const messages = async () => {
      const res = await f.who.agent.client.get(`/api/v1/conversations/${f.conversationId}/messages`);
      assert.equal(res.statusCode, 200, res.body);
      return { body: res.body, list: res.json<{ messages: View[] }>().messages };
    };
    const reveal = (role: 'owner' | 'agent', messageId: string, body: unknown) =>
      f.who[role].client.post(
        `/api/v1/conversations/${f.conversationId}/messages/${messageId}/restricted`,
        body,
      );
    const audit = async (action: string, targetId: string) => {
      await f.t.runtime.audit.sequence();
      return (await f.t.runtime.audit.query(f.shop.id, { action: action as 'sensitive_read', targetId }))
        .entries;
    };

    test('an inbound card and ID are stored cut out: the body shows placeholders, the kinds are listed', async () => {
      await f.inbound(`my card is ${CARD} and my ID ${ID}, thanks`);
      const { body, list } = await messages();
      const last = list.at(-1)!;
      assert.equal(last.text, 'my card is [card ending 4242] and my ID [ID number ending 002X], thanks');
      assert.deepEqual(last.restricted, ['card', 'cn_id']);
      assert.ok(!body.includes('4242 4242') && !body.includes(ID), 'the answer never carries the numbers');
      const plain = list.find((m) => m.text?.startsWith('hello'));
      assert.equal(plain?.restricted, undefined);
      const stored =
        target.name === 'sqlite'
          ? sqliteBytes(f.t.dataDir)
          : postgresDump(f.t.env.CHATVAULT_DATABASE_URL!, f.t.env.CHATVAULT_DATABASE_SCHEMA!);
      const logs = Buffer.from(f.t.logs.join('\n'));
      for (const value of [CARD, CARD.replace(/ /g, ''), ID])
        for (const bytes of encodings(value)) {
          assert.ok(!stored.includes(bytes), 'not stored readable');
          assert.ok(!logs.includes(bytes), 'not logged');
        }
    });

    test('a caption is cut out the same way', async () => {
      await f.inbound(`身份证 ${ID}`, 'image');
      const last = (await messages()).list.at(-1)!;
      assert.equal(last.caption, '身份证 [ID number ending 002X]');
      assert.deepEqual(last.restricted, ['cn_id']);
    });

    test('revealing the restricted part needs revealRestricted (owner by default) and a reason, and is audited', async () => {
      const card = (await messages()).list.find((m) => m.restricted?.includes('card'))!;
      const denied = await reveal('agent', card.id, { reason: 'customer asked for a refund' });
      assert.equal(denied.statusCode, 403, denied.body);
      const noReason = await reveal('owner', card.id, {});
      assert.equal(noReason.statusCode, 400, noReason.body);
      const res = await reveal('owner', card.id, { reason: 'refund to the card the customer gave' });
      assert.equal(res.statusCode, 200, res.body);
      const spans = res.json<{ spans: { kind: string; placeholder: string; value: string }[] }>().spans;
      assert.deepEqual(
        spans.map((s) => [s.kind, s.value, s.placeholder]),
        [
          ['card', CARD, '[card ending 4242]'],
          ['cn_id', ID, '[ID number ending 002X]'],
        ],
      );
      const entries = await audit('sensitive_read', card.id);
      assert.equal(entries.length, 1);
      assert.equal(entries[0]!.actor.id, f.who.owner.id);
      assert.ok(entries[0]!.reasonCt, 'the reason is kept, encrypted');
      const plain = (await messages()).list.find((m) => m.text?.startsWith('hello'))!;
      assert.equal(
        (await reveal('owner', plain.id, { reason: 'looking for restricted data' })).statusCode,
        404,
      );
    });

    test('a reply with a card number is refused with the kinds, unless overridden with a reason (audited)', async () => {
      const url = `/api/v1/conversations/${f.conversationId}/messages`;
      const before = f.emulator.sent().length;
      const refused = await f.who.agent.client.post(url, {
        type: 'text',
        text: { body: `we charged ${CARD} and have your ID ${ID}` },
      });
      assert.equal(refused.statusCode, 422, refused.body);
      const error = refused.json<{ error: { message: string; details: { kinds: string[] } } }>().error;
      assert.deepEqual(error.details.kinds, ['card', 'cn_id']);
      assert.ok(!refused.body.includes('4242') && !refused.body.includes('1101'));
      const shortReason = await f.who.agent.client.post(url, {
        type: 'text',
        text: { body: `card ${CARD}` },
        dlpOverride: { reason: 'x' },
      });
      assert.equal(shortReason.statusCode, 400, shortReason.body);
      const sent = await f.who.agent.client.post(url, {
        type: 'text',
        text: { body: `the card on file is ${CARD}` },
        dlpOverride: { reason: 'the customer asked which card we hold' },
      });
      assert.equal(sent.statusCode, 202, sent.body);
      const { messageId } = sent.json<{ messageId: string }>();
      const out = await f.sent(before + 1);
      assert.equal(out.length, before + 1, 'only the overridden reply went out');
      const entry = (await audit('sensitive_create', messageId))[0]!;
      assert.ok(entry.reasonCt, 'the override is audited with its reason (encrypted)');
      const clean = await f.who.agent.client.post(url, {
        type: 'text',
        text: { body: 'Order 2026112912345678 ships today' },
      });
      assert.equal(clean.statusCode, 202, clean.body);
    });
  });
}

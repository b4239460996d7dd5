import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { wamidKey } from '../src/features/messages/wamid.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';
import { messagesDelivery, metaJson, PHONE_NUMBER_ID, sign, WABA_ID } from './support/meta.ts';

const secrets = {
  appSecret: 'fuzz-app-secret-0123456789',
  verifyToken: 'fuzz-verify-token',
  accessToken: 'fuzz-access-token-0123456789',
  phoneNumberId: PHONE_NUMBER_ID,
  wabaId: WABA_ID,
};
const ROUNDS = Number(process.env.CHATVAULT_FUZZ_ROUNDS ?? 10_000);

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const WEIRD: Json[] = [
  null,
  true,
  0,
  -1,
  1e308,
  '',
  'x'.repeat(5000),
  '\u0000',
  '😀'.repeat(50),
  [],
  {},
  [[[[[]]]]],
  { a: { b: { c: {} } } },
  '9'.repeat(30),
];

function seedDelivery(i: number): Json {
  const wa = `8613${String(100000000 + i)}`;
  const kinds: Json[] = [
    { from: wa, id: `wamid.F${i}`, timestamp: '1750025136', type: 'text', text: { body: `hello ${i}` } },
    {
      from: wa,
      id: `wamid.F${i}`,
      timestamp: '1750025136',
      type: 'image',
      image: {
        id: `${1000 + i}`,
        mime_type: 'image/jpeg',
        sha256: 'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=',
      },
    },
    {
      from: wa,
      id: `wamid.F${i}`,
      timestamp: '1750025136',
      type: 'interactive',
      interactive: { type: 'button_reply', button_reply: { id: 'b', title: 'B' } },
    },
  ];
  const pick = kinds[i % kinds.length]!;
  if (i % 5 === 3) {
    return messagesDelivery(
      {
        contacts: [{ wa_id: wa }],
        user_preferences: [
          { wa_id: wa, category: 'marketing_messages', value: 'stop', timestamp: 1731705721 },
        ],
      },
      'user_preferences',
    );
  }
  if (i % 5 === 4)
    return messagesDelivery({
      statuses: [{ id: `wamid.S${i}`, status: 'delivered', timestamp: '1750030073', recipient_id: wa }],
    });
  return messagesDelivery({
    contacts: [{ profile: { name: `Name ${i}` }, wa_id: wa }],
    messages: [pick],
  });
}

/** Applies 1–4 random mutations anywhere in the tree. */
function mutate(value: Json, random: () => number): Json {
  const clone = JSON.parse(JSON.stringify(value)) as Json;
  const paths: Array<{ parent: Json[] | Record<string, Json>; key: string | number }> = [];
  const walk = (node: Json) => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        paths.push({ parent: node, key: i });
        walk(child);
      });
    } else if (node && typeof node === 'object') {
      for (const [k, child] of Object.entries(node)) {
        paths.push({ parent: node, key: k });
        walk(child);
      }
    }
  };
  walk(clone);
  const n = 1 + Math.floor(random() * 4);
  for (let m = 0; m < n && paths.length > 0; m++) {
    const { parent, key } = paths[Math.floor(random() * paths.length)]!;
    const op = Math.floor(random() * 4);
    const target = parent as Record<string | number, Json>;
    if (op === 0) delete target[key];
    else if (op === 1) target[key] = WEIRD[Math.floor(random() * WEIRD.length)]!;
    else if (op === 2) target[key] = [target[key] ?? null, target[key] ?? null];
    else target[`x${Math.floor(random() * 1000)}`] = WEIRD[Math.floor(random() * WEIRD.length)]!;
  }
  return clone;
}

/** Every inbound message id in an accepted delivery (whatever the mutations made of it). */
function messageIds(body: Buffer): string[] {
  const delivery = JSON.parse(body.toString('utf8')) as {
    entry: Array<{ changes: Array<{ value: { messages?: Array<{ id: string }> } }> }>;
  };
  return delivery.entry.flatMap((e) => e.changes.flatMap((c) => (c.value.messages ?? []).map((m) => m.id)));
}

function rawNoise(random: () => number): Buffer {
  const len = Math.floor(random() * 300);
  return Buffer.from(Array.from({ length: len }, () => Math.floor(random() * 256)));
}

for (const target of databaseTargets()) {
  describe(`webhook fuzzing (${target.name})`, () => {
    let t: TestRuntime;
    let app: FastifyInstance;
    let path = '';
    before(async () => {
      t = await startTestRuntime(target);
      const tenant = await t.runtime.tenants.create({ slug: 'fuzz', name: 'Fuzz' });
      path = (await t.runtime.channels.add(tenant, secrets)).webhookPath;
      app = buildApp(t.runtime);
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    test(`${ROUNDS} mutated and random payloads with valid signatures: never a 5xx, never a partial write`, async () => {
      const random = prng(target.name === 'sqlite' ? 1 : 2);
      const statuses = new Map<number, number>();
      const acceptedWamids: string[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const original = seedDelivery(i);
        const body = i % 10 === 9 ? rawNoise(random) : metaJson(mutate(original, random));
        const res = await app.inject({
          method: 'POST',
          url: path,
          headers: {
            'content-type': 'application/json',
            'x-hub-signature-256': sign(body, secrets.appSecret),
          },
          payload: body,
        });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        assert.ok(res.statusCode < 500, `round ${i} answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
        if (res.statusCode === 200) acceptedWamids.push(...messageIds(body));
      }
      assert.ok(
        (statuses.get(200) ?? 0) > ROUNDS / 10,
        `some payloads are accepted: ${JSON.stringify([...statuses])}`,
      );
      assert.ok((statuses.get(400) ?? 0) > ROUNDS / 10, 'many are refused');
      const tenantId = (await t.runtime.tenants.getBySlug('fuzz')).id;
      const allowed = new Set(
        await Promise.all(
          acceptedWamids.map(async (w) => (await wamidKey(t.runtime.keyring, tenantId, w)).toString('hex')),
        ),
      );
      const stored = await t.runtime.database.db.selectFrom('messages').select('wamid_key').execute();
      for (const row of stored)
        assert.ok(
          allowed.has(Buffer.from(row.wamid_key).toString('hex')),
          'a refused delivery left a message behind',
        );
    });
  });
}

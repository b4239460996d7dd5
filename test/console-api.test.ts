import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { startEmulator, type Customer, type Emulator } from '../src/features/whatsapp/emulator/index.ts';
import { enrollWithTotp, invite, manualClock, signIn, type Client } from './support/auth.ts';
import { recordTraining } from './support/browser.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';
import { testOperator, testReveal } from './support/actors.ts';

const PASSWORD = 'console api pass phrase 2031';
type Role = 'owner' | 'admin' | 'agent' | 'auditor';

for (const target of databaseTargets()) {
  describe(`the console's API: inbox, search, team, audit checks, live events (${target.name})`, () => {
    const clock = manualClock(Date.now());
    let emulator: Emulator;
    let t: TestRuntime;
    let app: FastifyInstance;
    let url = '';
    let shop: Tenant;
    let customer: Customer;
    let contactId = '';
    let conversationId = '';
    const who = {} as Record<Role | 'agent2', { client: Client; id: string }>;

    before(async () => {
      emulator = await startEmulator({
        appSecret: 'capi-app-secret-0123456789',
        accessToken: 'capi-access-token-0123456789',
        verifyToken: 'capi-verify',
        seed: 5,
      });
      t = await startTestRuntime(target, { clock, env: { CHATVAULT_GRAPH_API_BASE: emulator.url } });
      shop = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
      const channel = await t.runtime.channels.add(shop, emulator.channel);
      app = buildApp(t.runtime);
      url = await app.listen({ host: '127.0.0.1', port: 0 });
      emulator.setCallback(`${url}${channel.webhookPath}`, emulator.channel.verifyToken);
      customer = emulator.customers.find((c) => c.onWhatsApp && c.waId !== undefined)!;
      await emulator.deliver('text', { customer });
      await emulator.flush();
      contactId = (await t.runtime.contacts.findByIdentity(shop, { waId: customer.waId! }, testReveal))!.id;
      await t.runtime.contacts.update(shop, contactId, { tags: ['vip'] }, testOperator);
      conversationId = (
        await t.runtime.database.db
          .selectFrom('conversations')
          .select('id')
          .where('contact_id', '=', contactId)
          .executeTakeFirstOrThrow()
      ).id;
      for (const role of ['owner', 'admin', 'agent', 'auditor', 'agent2'] as const) {
        const email = `${role}@shop.example`;
        const { token, operator } = await invite(t.runtime, shop, email, role === 'agent2' ? 'agent' : role);
        const { seed } = await enrollWithTotp(app, clock, token, PASSWORD);
        await recordTraining(t.runtime, shop, operator.id);
        who[role] = {
          client: await signIn(app, clock, { tenant: 'shop', email, password: PASSWORD, seed }),
          id: operator.id,
        };
      }
      const assigned = await who.owner.client.post('/api/v1/assignments', {
        contactId,
        operatorId: who.agent.id,
      });
      assert.equal(assigned.statusCode, 204, assigned.body);
    });
    after(async () => {
      await emulator.close();
      await app.close();
      await t.close();
    });

    const auditOf = async (action: string, targetId: string, actorId: string) => {
      await t.runtime.audit.sequence();
      return (await t.runtime.audit.query(shop.id, { action: action as 'sensitive_read', targetId, actorId }))
        .entries;
    };

    test('conversations list customers masked, by view and role; no personal data leaves in clear', async () => {
      const mine = await who.agent.client.get('/api/v1/conversations?view=mine');
      assert.equal(mine.statusCode, 200, mine.body);
      const [c] = mine.json<{
        conversations: { id: string; contact: { phone: string }; canRead: boolean }[];
      }>().conversations;
      assert.equal(c!.id, conversationId);
      assert.match(c!.contact.phone, /\*{4}/);
      assert.ok(c!.canRead);
      assert.ok(!mine.body.includes(customer.waId!), 'the number never leaves in clear');
      assert.equal(
        (await who.agent2.client.get('/api/v1/conversations?view=mine')).json<{ conversations: [] }>()
          .conversations.length,
        0,
      );
      assert.equal((await who.agent.client.get('/api/v1/conversations?view=all')).statusCode, 403);
      const all = await who.admin.client.get('/api/v1/conversations?view=all');
      assert.equal(all.json<{ conversations: unknown[] }>().conversations.length, 1);
      assert.equal((await who.auditor.client.get('/api/v1/conversations')).statusCode, 403);
      assert.equal((await app.inject('/api/v1/conversations')).statusCode, 401);
      const detail = await who.agent.client.get(`/api/v1/conversations/${conversationId}`);
      assert.equal(detail.statusCode, 200);
      assert.equal(detail.json<{ conversation: { canSend: boolean } }>().conversation.canSend, true);
    });

    test('messages are read by the assigned agent only, and every read is audited', async () => {
      const res = await who.agent.client.get(`/api/v1/conversations/${conversationId}/messages`);
      assert.equal(res.statusCode, 200, res.body);
      const { messages } = res.json<{ messages: { type: string; text?: string; direction: string }[] }>();
      assert.equal(messages[0]!.type, 'text');
      assert.ok(messages[0]!.text);
      assert.ok(!res.body.includes(customer.waId!), 'no sender number or wamid in the answer');
      assert.equal((await auditOf('sensitive_read', conversationId, who.agent.id)).length, 1);
      assert.equal(
        (await who.agent2.client.get(`/api/v1/conversations/${conversationId}/messages`)).statusCode,
        403,
      );
      assert.equal(
        (await who.admin.client.get(`/api/v1/conversations/${conversationId}/messages`)).statusCode,
        403,
      );
      assert.equal(
        (await who.agent.client.post(`/api/v1/conversations/${conversationId}/read`)).statusCode,
        204,
      );
      assert.equal(
        (await who.agent.client.get('/api/v1/conversations/cv_00000000000000000000000000')).statusCode,
        404,
      );
    });

    test('a reply goes out through the outbox; templates come from the business number', async () => {
      const sent = await who.agent.client.post(`/api/v1/conversations/${conversationId}/messages`, {
        type: 'text',
        text: { body: 'On its way' },
      });
      assert.equal(sent.statusCode, 202, sent.body);
      await t.runtime.outbox.drain();
      assert.ok(emulator.sent().some((s) => s.to.replace(/\D/g, '') === customer.waId));
      assert.equal(
        (
          await who.agent2.client.post(`/api/v1/conversations/${conversationId}/messages`, {
            type: 'text',
            text: { body: 'x' },
          })
        ).statusCode,
        403,
      );
      const templates = await who.agent.client.get(`/api/v1/conversations/${conversationId}/templates`);
      assert.equal(templates.statusCode, 200, templates.body);
      assert.ok(
        templates.json<{ templates: { name: string }[] }>().templates.some((x) => x.name === 'hello_world'),
      );
    });

    test('tags are set by those who may update the customer, and audited', async () => {
      const res = await who.agent.client.request('PUT', `/api/v1/contacts/${contactId}/tags`, {
        tags: ['vip', 'returns'],
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json<{ tags: string[] }>().tags, ['returns', 'vip']);
      assert.equal((await auditOf('sensitive_update', contactId, who.agent.id)).length, 1);
      assert.equal(
        (await who.agent.client.request('PUT', `/api/v1/contacts/${contactId}/tags`, { tags: ['Not A Tag'] }))
          .statusCode,
        400,
      );
      assert.equal(
        (await who.agent2.client.request('PUT', `/api/v1/contacts/${contactId}/tags`, { tags: [] }))
          .statusCode,
        403,
      );
    });

    test('search by full number, last four digits or tag answers masked and records what it found', async () => {
      for (const body of [{ phone: customer.phone }, { last4: customer.phone.slice(-4) }, { tag: 'vip' }]) {
        const res = await who.agent2.client.post('/api/v1/search', body);
        assert.equal(res.statusCode, 200, res.body);
        const { results } = res.json<{
          results: { contact: { id: string; phone: string }; conversationIds: string[] }[];
        }>();
        const hit = results.find((r) => r.contact.id === contactId);
        assert.ok(hit, JSON.stringify(body));
        assert.match(hit.contact.phone, /\*{4}/);
        assert.deepEqual(hit.conversationIds, [conversationId]);
        assert.ok(!res.body.includes(customer.waId!));
      }
      assert.equal((await auditOf('sensitive_read', contactId, who.agent2.id)).length, 3);
      assert.equal(
        (await who.agent2.client.post('/api/v1/search', { phone: 'x', tag: 'vip' })).statusCode,
        400,
      );
      assert.equal((await who.auditor.client.post('/api/v1/search', { tag: 'vip' })).statusCode, 403);
    });

    test('admins list the team with second factors, sessions and training; others may not', async () => {
      const res = await who.admin.client.get('/api/v1/operators');
      assert.equal(res.statusCode, 200, res.body);
      const { operators } = res.json<{
        operators: {
          id: string;
          email: string;
          mfa: string[];
          sessions: { live: number };
          training: { current: boolean };
        }[];
      }>();
      const agent = operators.find((o) => o.id === who.agent.id)!;
      assert.equal(agent.email, 'a***@shop.example');
      assert.deepEqual(agent.mfa, ['totp', 'recovery']);
      assert.ok(agent.sessions.live >= 1);
      assert.equal(agent.training.current, true);
      assert.equal((await who.agent.client.get('/api/v1/operators')).statusCode, 403);
    });

    test('auditors verify the chain on demand and export it; others may not', async () => {
      await t.runtime.audit.sequence();
      const verified = await who.auditor.client.post('/api/v1/audit/verify');
      assert.equal(verified.statusCode, 200, verified.body);
      assert.equal(verified.json<{ verification: { ok: boolean } }>().verification.ok, true);
      assert.equal((await who.agent.client.post('/api/v1/audit/verify')).statusCode, 403);
      const cookie = [...who.auditor.client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const exported = await app.inject({ url: '/api/v1/audit/export', headers: { cookie } });
      assert.equal(exported.statusCode, 200);
      const lines = exported.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string });
      assert.ok(lines.some((l) => l.type === 'entry'));
      assert.equal((await who.admin.client.get('/api/v1/audit/export')).statusCode, 403);
    });

    test('live events name a changed conversation to those who may see it, and nothing else', async () => {
      const open = async (c: Client, query = '') => {
        const controller = new AbortController();
        const res = await fetch(`${url}/api/v1/events${query}`, {
          headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
          signal: controller.signal,
        });
        let text = '';
        const reader = res.body!.getReader();
        const pump = (async () => {
          for (;;) {
            const chunk: { value?: Uint8Array; done: boolean } = await reader
              .read()
              .catch(() => ({ done: true }));
            if (chunk.done || !chunk.value) return;
            text += new TextDecoder().decode(chunk.value);
          }
        })();
        return { res, read: () => text, close: () => (controller.abort(), pump) };
      };
      const agentStream = await open(who.agent.client, `?conversation=${conversationId}`);
      const otherStream = await open(who.agent2.client);
      assert.equal(agentStream.res.status, 200);
      assert.equal(agentStream.res.headers.get('cache-control'), 'no-store');
      assert.equal((await open(who.agent2.client, `?conversation=${conversationId}`)).res.status, 403);
      assert.equal((await fetch(`${url}/api/v1/events`)).status, 401);
      await new Promise((r) => setTimeout(r, 600));
      await emulator.deliver('text', { customer });
      const end = Date.now() + 5000;
      while (
        !agentStream.read().includes('event: messages') ||
        !agentStream.read().includes('event: conversations')
      ) {
        assert.ok(Date.now() < end, 'the agent hears of the new message');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(
        agentStream.read(),
        new RegExp(`event: conversations\\ndata: \\{"ids":\\["${conversationId}"\\]\\}`),
      );
      assert.ok(!otherStream.read().includes(conversationId), 'an agent not assigned hears nothing of it');
      assert.ok(!agentStream.read().includes(customer.waId!));
      await agentStream.close();
      await otherStream.close();
    });
  });
}

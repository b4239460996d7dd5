// Shared set-up of the dlp-* and collect-* whole-app tests: an emulator, a runtime on one database,
// a tenant with a channel, an owner and two agents signed in (the first assigned to the customer),
// and the customer's conversation opened by an inbound message.
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { startEmulator, type Customer, type Emulator } from '../src/features/whatsapp/emulator/index.ts';
import { enrollWithTotp, invite, manualClock, signIn, type Client } from './support/auth.ts';
import { recordTraining } from './support/browser.ts';
import { testReveal } from './support/actors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import type { DbTarget } from './support/targets.ts';

const PASSWORD = 'dlp fixture pass phrase 2031';
export type Role = 'owner' | 'agent' | 'agent2';

export interface DlpFixture {
  readonly clock: ReturnType<typeof manualClock>;
  readonly emulator: Emulator;
  readonly t: TestRuntime;
  readonly app: FastifyInstance;
  readonly url: string;
  readonly shop: Tenant;
  readonly customer: Customer;
  readonly contactId: string;
  readonly conversationId: string;
  readonly who: Record<Role, { client: Client; id: string }>;
  /** Delivers an inbound text (or captioned image) from the customer and waits until it is stored. */
  inbound(text: string, kind?: 'text' | 'image'): Promise<void>;
  /** Runs the outbox and checks the emulator has accepted at least `count` outbound messages. */
  sent(count: number): Promise<ReturnType<Emulator['sent']>>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** Listen on this port with CHATVAULT_PUBLIC_URL http://localhost:<port> (browser tests). */
  readonly port?: number;
  /** Called on the app before it listens (hooks a test adds). */
  readonly beforeListen?: (app: FastifyInstance) => void;
}

export async function startDlpFixture(
  target: DbTarget,
  seed = 11,
  options: FixtureOptions = {},
): Promise<DlpFixture> {
  const clock = manualClock(Date.now());
  const emulator = await startEmulator({
    appSecret: 'dlp-app-secret-0123456789',
    accessToken: 'dlp-access-token-0123456789',
    verifyToken: 'dlp-verify',
    seed,
  });
  const env: Record<string, string> = { CHATVAULT_GRAPH_API_BASE: emulator.url };
  if (options.port) env.CHATVAULT_PUBLIC_URL = `http://localhost:${options.port}`;
  const t = await startTestRuntime(target, { clock, env });
  const shop = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
  const channel = await t.runtime.channels.add(shop, emulator.channel);
  const app = buildApp(t.runtime);
  options.beforeListen?.(app);
  const url = await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  emulator.setCallback(`${url}${channel.webhookPath}`, emulator.channel.verifyToken);
  const customer = emulator.customers.find((c) => c.onWhatsApp && c.waId !== undefined)!;

  const countMessages = async () =>
    Number(
      (
        await t.runtime.database.db
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('direction', '=', 'inbound')
          .executeTakeFirstOrThrow()
      ).n,
    );
  const inbound = async (text: string, kind: 'text' | 'image' = 'text') => {
    const before = await countMessages();
    await emulator.deliver(kind, { customer, text });
    await emulator.flush();
    for (let i = 0; i < 200 && (await countMessages()) === before; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(await countMessages(), before + 1, 'the inbound message was stored');
  };
  await inbound('hello, I have a question about my order');
  const contactId = (await t.runtime.contacts.findByIdentity(shop, { waId: customer.waId! }, testReveal))!.id;
  const conversationId = (
    await t.runtime.database.db
      .selectFrom('conversations')
      .select('id')
      .where('contact_id', '=', contactId)
      .executeTakeFirstOrThrow()
  ).id;
  const who = {} as Record<Role, { client: Client; id: string }>;
  for (const role of ['owner', 'agent', 'agent2'] as const) {
    const email = `${role}@shop.example`;
    const { token, operator } = await invite(t.runtime, shop, email, role === 'owner' ? 'owner' : 'agent');
    const { seed: totp } = await enrollWithTotp(app, clock, token, PASSWORD);
    await recordTraining(t.runtime, shop, operator.id);
    who[role] = {
      client: await signIn(app, clock, { tenant: 'shop', email, password: PASSWORD, seed: totp }),
      id: operator.id,
    };
  }
  const assigned = await who.owner.client.post('/api/v1/assignments', {
    contactId,
    operatorId: who.agent.id,
  });
  assert.equal(assigned.statusCode, 204, assigned.body);

  /** What the emulator received, once at least `count` messages (the background worker may hold one). */
  const sent = async (count: number) => {
    const deadline = Date.now() + 15_000;
    await t.runtime.outbox.drain();
    while (emulator.sent().length < count && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await t.runtime.outbox.drain();
    }
    assert.ok(
      emulator.sent().length >= count,
      `expected ${count} sent messages, got ${emulator.sent().length}`,
    );
    return emulator.sent();
  };

  return {
    clock,
    emulator,
    t,
    app,
    url,
    shop,
    customer,
    contactId,
    conversationId,
    who,
    inbound,
    sent,
    async close() {
      await emulator.close();
      await app.close();
      await t.close();
    },
  };
}

import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import type { Clock } from '../src/lib/clock.ts';
import type { Channel } from '../src/features/channels/channels.service.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import {
  startEmulator,
  type Customer,
  type Emulator,
  type EmulatorOptions,
} from '../src/features/whatsapp/emulator/index.ts';
import { testOperator } from './support/actors.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import type { DbTarget } from './support/targets.ts';

/** A clock the test moves: real time until pinned. */
export function movableClock(): Clock & { pin(iso: string | undefined): void } {
  let pinned: number | undefined;
  return {
    now: () => new Date(pinned ?? Date.now()),
    pin: (iso) => {
      pinned = iso === undefined ? undefined : Date.parse(iso);
    },
  };
}

/** A 1×1 PNG: the summer_sale template's image header. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

export interface CampaignWorld {
  emulator: Emulator;
  t: TestRuntime;
  app: FastifyInstance;
  tenant: Tenant;
  channel: Channel;
  headerImageId: string;
  /** Customers the emulator knows, each with the contact id ChatVault holds for them. */
  people: { customer: Customer; contactId: string }[];
  close(): Promise<void>;
}

/**
 * An emulator and a runtime whose webhooks reach each other, `count` customers imported as contacts
 * (tags `vip` on even ones) and opted in to marketing, templates synced, a header image uploaded.
 */
export async function campaignWorld(
  target: DbTarget,
  options: {
    count: number;
    clock?: Clock;
    emulator?: Partial<EmulatorOptions>;
    env?: Record<string, string>;
  },
): Promise<CampaignWorld> {
  const emulator = await startEmulator({
    appSecret: 'campaign-app-secret-0123456789',
    accessToken: 'campaign-access-token-0123456789',
    verifyToken: 'campaign-verify-token',
    seed: 21,
    customers: Math.max(60, options.count * 2),
    statusDelaysMs: { sent: 5, delivered: 10, read: 20 },
    ...options.emulator,
  });
  const t = await startTestRuntime(target, {
    clock: options.clock,
    env: { CHATVAULT_GRAPH_API_BASE: emulator.url, ...options.env },
  });
  const tenant = await t.runtime.tenants.create({ slug: 'shop', name: 'Shop' });
  const added = await t.runtime.channels.add(tenant, emulator.channel);
  const channel = await t.runtime.channels.get(added.id);
  const app = buildApp(t.runtime);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  emulator.setCallback(`${url}${added.webhookPath}`, emulator.channel.verifyToken);
  assert.equal(await emulator.subscribe(), true);

  const customers = emulator.customers.list
    .filter(
      (c) => c.onWhatsApp && c.waId !== undefined && !c.marketingLimited && !emulator.customers.optedOut(c),
    )
    // The emulated population may give two customers one number: keep the first of each.
    .filter((c, i, all) => all.findIndex((o) => o.phone === c.phone) === i)
    .slice(0, options.count);
  assert.equal(customers.length, options.count, 'enough reachable customers in the emulated population');
  const contacts = await t.runtime.contacts.createMany(
    tenant,
    customers.map((c, i) => ({
      phone: c.phone,
      profileName: c.profileName,
      waId: c.waId,
      tags: i % 2 === 0 ? ['vip'] : ['regular'],
    })),
    testOperator,
  );
  const people = customers.map((customer, i) => ({ customer, contactId: contacts[i]!.id }));
  await t.runtime.consent.importEvents(
    tenant.id,
    people.map((p) => ({
      contactId: p.contactId,
      purpose: 'marketing' as const,
      event: 'opt_in' as const,
      at: new Date(Date.now() - 3600_000),
      evidence: { method: 'checkout checkbox' },
    })),
    testOperator,
  );
  assert.ok((await t.runtime.campaigns.templates.sync(tenant.id, channel.id)) >= 5);
  const headerImageId = await t.runtime.graph.uploadMedia(channel, PNG, 'image/png', 'banner.png');
  return {
    emulator,
    t,
    app,
    tenant,
    channel,
    headerImageId,
    people,
    async close() {
      await emulator.close();
      await app.close();
      await t.close();
    },
  };
}

/** A summer_sale campaign over `segment`, personalised with the customer's first name. */
export function summerSale(world: CampaignWorld, extra: Record<string, unknown> = {}) {
  return {
    name: 'Summer sale',
    channelId: world.channel.id,
    template: { name: 'summer_sale', language: 'en_US' },
    parameters: {
      header: { mediaId: world.headerImageId },
      first_name: { field: 'first_name' },
      discount_code: { text: 'SUMMER' },
      discount_amount: { text: '15%' },
    },
    segment: {},
    ratePerSecond: 200,
    ...extra,
  };
}

/** How many summer_sale templates each emulated customer received. */
export function receivedBy(world: CampaignWorld): Map<number, number> {
  const counts = new Map<number, number>();
  for (const s of world.emulator.sent())
    if (s.template === 'summer_sale' && s.customerIndex !== undefined)
      counts.set(s.customerIndex, (counts.get(s.customerIndex) ?? 0) + 1);
  return counts;
}

export { testOperator };

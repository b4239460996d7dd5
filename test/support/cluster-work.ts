import path from 'node:path';
import type { Emulator } from '../../src/features/whatsapp/emulator/index.ts';
import type { Cluster, ServerTarget } from './cluster.ts';
import { testOperator } from './actors.ts';

/** A 1×1 PNG: the summer_sale template's image header. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

export interface ClusterCampaign {
  readonly id: string;
  /** Emulator customer index → the contact id ChatVault holds for them. */
  readonly recipients: ReadonlyMap<number, string>;
}

/**
 * Prepares a marketing campaign on a running cluster the way an operator would before pressing start:
 * `count` reachable customers of the emulator imported as contacts and opted in, templates synced, a
 * header image uploaded, a draft made. Runs in a runtime of its own on the cluster's seed data
 * directory (no workers start there); `start` then lets the cluster's processes send it.
 */
export function prepareCampaign(
  cluster: Cluster,
  options: { count: number; ratePerSecond: number },
): Promise<ClusterCampaign & { start(): Promise<void> }> {
  return prepareCampaignAt(
    {
      url: cluster.url,
      env: { ...cluster.env, CHATVAULT_DATABASE_URL: cluster.realDatabaseUrl },
      dataDir: path.join(cluster.dir, 'seed'),
    },
    cluster.emulator,
    options,
  );
}

/** {@link prepareCampaign} against any server whose channel talks to `emulator`. */
export async function prepareCampaignAt(
  target: ServerTarget,
  emulator: Emulator,
  options: { count: number; ratePerSecond: number; name?: string },
): Promise<ClusterCampaign & { start(): Promise<void> }> {
  const { createRuntime } = await import('../../src/runtime.ts');
  const { loadConfig } = await import('../../src/config.ts');
  const { createLogger } = await import('../../src/lib/logger.ts');
  const { systemClock } = await import('../../src/lib/clock.ts');
  const open = () =>
    createRuntime(loadConfig({ ...target.env, CHATVAULT_DATA_DIR: target.dataDir }), {
      logger: createLogger('silent'),
      clock: systemClock,
    });
  const runtime = await open();
  try {
    runtime.provider.autoUnseal();
    const tenant = await runtime.tenants.getBySlug(target.tenant ?? 'shop');
    const [channel] = await runtime.channels.list(tenant);
    const people = emulator.customers.list
      .filter(
        (c) => c.onWhatsApp && c.waId !== undefined && !c.marketingLimited && !emulator.customers.optedOut(c),
      )
      .filter((c, i, all) => all.findIndex((o) => o.phone === c.phone) === i)
      .slice(0, options.count);
    if (people.length !== options.count) throw new Error('not enough reachable emulated customers');
    const contacts = await runtime.contacts.createMany(
      tenant,
      people.map((c) => ({ phone: c.phone, profileName: c.profileName, waId: c.waId })),
      testOperator,
    );
    await runtime.consent.importEvents(
      tenant.id,
      contacts.map((c) => ({
        contactId: c.id,
        purpose: 'marketing' as const,
        event: 'opt_in' as const,
        at: new Date(Date.now() - 3600_000),
        evidence: { method: 'checkout checkbox' },
      })),
      testOperator,
    );
    const full = await runtime.channels.get(channel!.id);
    await runtime.campaigns.templates.sync(tenant.id, full.id);
    const headerImageId = await runtime.graph.uploadMedia(full, PNG, 'image/png', 'banner.png');
    const campaign = await runtime.campaigns.campaigns.create(
      tenant.id,
      {
        name: options.name ?? 'Chaos sale',
        channelId: full.id,
        template: { name: 'summer_sale', language: 'en_US' },
        parameters: {
          header: { mediaId: headerImageId },
          first_name: { field: 'first_name' },
          discount_code: { text: 'CHAOS' },
          discount_amount: { text: '10%' },
        },
        segment: {},
        ratePerSecond: options.ratePerSecond,
      },
      testOperator,
    );
    await runtime.audit.sequence();
    return {
      id: campaign.id,
      recipients: new Map(people.map((p, i) => [p.index, contacts[i]!.id])),
      async start() {
        const again = await open();
        try {
          again.provider.autoUnseal();
          await again.campaigns.campaigns.command(tenant.id, campaign.id, 'start', testOperator);
          await again.audit.sequence();
        } finally {
          await again.close();
        }
      },
    };
  } finally {
    await runtime.close();
  }
}

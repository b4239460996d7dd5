// Campaigns against the Cloud API emulator, in a process of its own as Meta is another machine (SQLite,
// the embedded default). The paced sender at a configured 80 and 1,000 messages/s: the rate seen by
// the emulator (first to last accepted send) and its error against the configured rate, plus the
// fullest 1-second window (≤ 100 % = never above). Baseline: the same template sent straight through
// the Graph client, unpaced (32 in flight).
// Then `campaign.duplicate_sends`: a real `chatvault serve` process sends a 100,000-recipient campaign
// at 1,000/s, is killed with SIGKILL after 3 s and started again; the emulator's journal counts who got
// it more than once. About 5 minutes on a quiet 2-core machine; CAMPAIGN_BENCH_CONTACTS=10000 makes a
// quicker run (at least 8,640: the paced runs use the first 8,640).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.ts';
import { campaignDb } from '../../src/features/campaigns/campaigns.table.ts';
import { initLocalKeys } from '../../src/features/keys/local-provider.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createRuntime, type Runtime } from '../../src/runtime.ts';
import { startEmulatorProcess, type EmulatorProcess, type RemoteSent } from '../lib/emulator-process.ts';
import type { BenchSuite } from '../lib/suite.ts';

const CONTACTS = Math.max(8640, Number(process.env.CAMPAIGN_BENCH_CONTACTS ?? 100_000));
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const system = { type: 'system', id: 'bench' } as const;

/** Sends per second seen by the emulator, and the fullest 1-second window as a share of `rate`. */
function observed(sent: RemoteSent[], rate: number) {
  const at = sent.map((s) => s.at).sort((a, b) => a - b);
  const perS = (at.length - 1) / ((at.at(-1)! - at[0]!) / 1000);
  let max = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (at[i]! - at[j]! >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  return { perS, errorPct: ((perS - rate) / rate) * 100, maxWindowPct: (max / rate) * 100 };
}

/** Resolves once the process has exited (at once if it already has). */
function exited(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', resolve));
}

async function openRuntime(env: Record<string, string>): Promise<Runtime> {
  const runtime = await createRuntime(loadConfig(env), { logger: createLogger('warn'), clock: systemClock });
  runtime.provider.autoUnseal();
  return runtime;
}

const suite: BenchSuite = {
  name: 'campaigns',
  baselines: {
    'campaign.send_per_s_80': ['campaign.graph_unpaced_send_per_s'],
    'campaign.send_per_s_1000': ['campaign.graph_unpaced_send_per_s'],
  },
  async run() {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-bench-campaigns-'));
    await initLocalKeys(dataDir, { shares: 3, threshold: 2, now: new Date(), autoUnseal: true });
    const emulator: EmulatorProcess = await startEmulatorProcess({
      appSecret: 'bench-app-secret-0123456789',
      accessToken: 'bench-access-token-0123456789',
      verifyToken: 'bench-verify-token',
      // About two in three emulated customers are reachable, opted in and on a number of their own.
      customers: Math.max(30_000, Math.ceil(CONTACTS * 1.6)),
      throughput: 1000,
      messagingLimitTier: 'TIER_UNLIMITED',
      seed: 5,
    });
    const env = { CHATVAULT_DATA_DIR: dataDir, CHATVAULT_GRAPH_API_BASE: emulator.url };
    const metrics: Record<string, number> = {};
    const phase = (what: string) =>
      console.error(`campaigns bench: ${what} at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const t0 = performance.now();
    let runtime = await openRuntime(env);
    let server: ChildProcess | undefined;
    try {
      const tenant = await runtime.tenants.create({ slug: 'bench', name: 'Bench' });
      const channel = await runtime.channels.get((await runtime.channels.add(tenant, emulator.channel)).id);
      // The emulated population may give two customers one number: keep the first of each.
      const phones = new Set<string>();
      const customers = (await emulator.customers())
        .filter((c) => c.onWhatsApp && c.waId && !c.marketingLimited && !c.optedOut)
        .filter((c) => !phones.has(c.phone) && phones.add(c.phone))
        .slice(0, CONTACTS);
      for (let i = 0; i < customers.length; i += 1000) {
        const batch = customers.slice(i, i + 1000);
        const made = await runtime.contacts.createMany(
          tenant,
          batch.map((c, k) => ({
            phone: c.phone,
            waId: c.waId,
            profileName: c.profileName,
            tags: [i + k < 640 ? 'r80' : i + k < 8640 ? 'r1000' : 'rest'],
          })),
          system,
        );
        const at = new Date(Date.now() - 60_000);
        await runtime.consent.importEvents(
          tenant.id,
          made.map((m) => ({
            contactId: m.id,
            purpose: 'marketing',
            event: 'opt_in',
            at,
            evidence: { method: 'bench' },
          })),
          system,
        );
      }
      phase(`${customers.length} contacts opted in`);
      await runtime.campaigns.templates.sync(tenant.id, channel.id);
      const headerImageId = await runtime.graph.uploadMedia(channel, PNG, 'image/png', 'banner.png');
      const campaign = (segment: Record<string, unknown>, ratePerSecond: number) => ({
        name: `bench ${ratePerSecond}/s`,
        channelId: channel.id,
        template: { name: 'summer_sale', language: 'en_US' },
        parameters: {
          header: { mediaId: headerImageId },
          first_name: { field: 'first_name' },
          discount_code: { text: 'BENCH' },
          discount_amount: { text: '5%' },
        },
        segment,
        ratePerSecond,
      });
      const start = async (rt: Runtime, input: unknown) => {
        const c = await rt.campaigns.campaigns.create(tenant.id, input, system);
        await rt.campaigns.campaigns.command(tenant.id, c.id, 'start', system);
        return c.id;
      };

      // Baseline: the Graph client alone, unpaced.
      {
        const to = customers.slice(0, 32).map((c) => c.phone);
        const body = {
          type: 'template',
          template: { name: 'hello_world', language: { code: 'en_US' } },
        };
        let n = 0;
        const end = Date.now() + 2000;
        const began = Date.now();
        await Promise.all(
          to.map(async (phone) => {
            while (Date.now() < end) {
              await runtime.graph.sendMessage(channel, { to: phone, ...body }).catch(() => undefined);
              n++;
            }
          }),
        );
        metrics['campaign.graph_unpaced_send_per_s'] = n / ((Date.now() - began) / 1000);
      }

      for (const [rate, tag] of [
        [80, 'r80'],
        [1000, 'r1000'],
      ] as const) {
        await sleep(1100); // let the emulator's throughput bucket refill
        const from = await emulator.sentTotal();
        const id = await start(runtime, campaign({ tagsAll: [tag] }, rate));
        runtime.campaigns.sender.start(5);
        for (;;) {
          await sleep(200);
          if ((await runtime.campaigns.campaigns.get(tenant.id, id)).status !== 'running') break;
        }
        await runtime.campaigns.sender.stop();
        const r = await runtime.campaigns.campaigns.results(tenant.id, id);
        const sent = (await emulator.sentFrom(from)).filter((s) => s.template === 'summer_sale');
        const o = observed(sent, rate);
        console.error(
          `campaigns bench ${rate}/s: ${r.status} ${r.sent}/${r.total} sent, ${r.unknown} unknown, ${r.failed} failed; ` +
            `${o.perS.toFixed(1)}/s (${o.errorPct.toFixed(2)} %), fullest second ${o.maxWindowPct.toFixed(1)} %`,
        );
        metrics[`campaign.send_per_s_${rate}`] = o.perS;
        metrics[`campaign.pacing_error_pct_${rate}`] = o.errorPct;
        metrics[`campaign.max_1s_window_pct_${rate}`] = o.maxWindowPct;
      }

      // kill -9 of a real server process in the middle of a campaign, then a restart.
      phase('paced runs done');
      const crashId = await start(runtime, campaign({}, 1000));
      await runtime.close();
      const from = await emulator.sentTotal();
      const sentSince = async () => (await emulator.sentTotal()) - from;
      const main = path.resolve(import.meta.dirname, '../../src/main.ts');
      const serve = () =>
        spawn(process.execPath, ['--import', 'tsx', main, 'serve'], {
          env: { ...process.env, ...env, CHATVAULT_PORT: '0', CHATVAULT_LOG_LEVEL: 'warn' },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
      server = serve();
      const began = Date.now();
      while ((await sentSince()) < 1 && Date.now() - began < 30_000) await sleep(50);
      await sleep(3000);
      const killedAt = Date.now();
      server.kill('SIGKILL');
      await exited(server);
      const beforeRestart = await sentSince();
      server = serve();
      runtime = await openRuntime(env);
      const cdb = campaignDb(runtime.database.db);
      const open = async () =>
        Number(
          (
            await cdb
              .selectFrom('campaign_recipients')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where('campaign_id', '=', crashId)
              .where('status', 'in', ['queued', 'claimed'])
              .executeTakeFirstOrThrow()
          ).n,
        );
      phase('restarted');
      // Long enough for the rest of the campaign at 1,000/s, with room for a loaded machine.
      const deadline = Date.now() + 60_000 + CONTACTS * 2;
      while ((await open()) > 0 && Date.now() < deadline) await sleep(250);
      await sleep(500);
      server.kill('SIGTERM');
      await exited(server);
      server = undefined;
      const crashSent = await emulator.sentFrom(from);
      const perCustomer = new Map<string, number>();
      for (const s of crashSent)
        if (s.template === 'summer_sale') perCustomer.set(s.to, (perCustomer.get(s.to) ?? 0) + 1);
      const r = await runtime.campaigns.campaigns.results(tenant.id, crashId);
      const byRow = new Map<string, number[]>();
      for (const s of crashSent)
        if (s.template === 'summer_sale') {
          const k = `${s.to}|${String(s.callbackData)}`;
          byRow.set(k, [...(byRow.get(k) ?? []), s.at]);
        }
      const dupRows = [...byRow.values()].filter((v) => v.length > 1);
      console.error(
        `campaigns bench crash: ${dupRows.length} rows sent twice; kill at ${killedAt}; e.g. ${JSON.stringify(dupRows.slice(0, 3))}`,
      );
      metrics['campaign.duplicate_sends'] = [...perCustomer.values()].reduce((a, n) => a + n - 1, 0);
      metrics['campaign.crash_recipients'] = r.total;
      metrics['campaign.crash_sent_before_kill'] = beforeRestart;
      metrics['campaign.crash_delivered_once'] = perCustomer.size;
      // Rows that were in the Graph API call when the process died: never sent again (at most once).
      metrics['campaign.crash_in_doubt'] = r.unknown + (r.queued - (await open()));
      metrics['campaign.crash_left_queued'] = await open();
    } finally {
      if (server) server.kill('SIGKILL');
      await runtime.close().catch(() => undefined);
      await emulator.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    return metrics;
  },
};

export default suite;

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { writePrivate } from '../../features/keys/local-provider.ts';
import { fakeCustomers } from '../../features/demo/fake-customers.ts';
import { INBOUND_KINDS, startEmulator } from '../../features/whatsapp/emulator/index.ts';
import { startServer } from '../../server.ts';

const DEMO_ACTOR = { type: 'system' as const, id: 'demo' };

/** Demo channel secrets, made once per demo data directory and kept beside it (owner-only). */
function demoSecrets(dataDir: string) {
  const file = path.join(dataDir, 'demo-channel.json');
  if (fs.existsSync(file))
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<
      'appSecret' | 'accessToken' | 'verifyToken',
      string
    >;
  const secrets = {
    appSecret: randomBytes(24).toString('hex'),
    accessToken: `EAAG${randomBytes(24).toString('hex')}`,
    verifyToken: randomBytes(12).toString('hex'),
  };
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writePrivate(file, JSON.stringify(secrets));
  return secrets;
}

/**
 * `demo`: ChatVault on its own data directory (`./.chatvault-demo` unless CHATVAULT_DATA_DIR is set),
 * the Cloud API emulator on loopback, a demo tenant with its channel and operators, fictional
 * customers, and a stream of simulated customers writing in.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run a server, the Cloud API emulator and simulated customers writing in')
    .option('--customers <n>', 'fictional customers imported on first run', '200')
    .option('--rate <n>', 'simulated inbound messages per second', '2')
    .action(async (opts: { customers: string; rate: string }) => {
      const say = (line: string) => process.stdout.write(line + '\n');
      const dataDir = path.resolve(process.env.CHATVAULT_DATA_DIR ?? '.chatvault-demo');
      const emulator = await startEmulator({ ...demoSecrets(dataDir), seed: 42, duplicateRate: 0.02 });
      const config = loadConfig({
        ...process.env,
        CHATVAULT_DATA_DIR: dataDir,
        CHATVAULT_GRAPH_API_BASE: emulator.url,
      });
      const server = await startServer(config, say);
      const { tenants, contacts, channels, auth } = server.runtime;
      const existing = (await tenants.list()).find((t) => t.slug === 'demo');
      const tenant =
        existing ?? (await tenants.create({ slug: 'demo', name: 'Demo Shop', expectedContacts: 10_000 }));
      let channel = (await channels.list(tenant)).find(
        (c) => c.phoneNumberId === emulator.channel.phoneNumberId,
      );
      if (!existing) {
        await contacts.createMany(tenant, fakeCustomers(Number(opts.customers) || 200), DEMO_ACTOR);
        channel = await channels.add(tenant, emulator.channel);
        for (const [email, role] of [
          ['owner@demo.example', 'owner'],
          ['agent@demo.example', 'agent'],
        ] as const) {
          const { link } = await auth.enrollment.createOperator(tenant, { email, role }, DEMO_ACTOR, {});
          say(`Enrollment link for ${role} ${email}: ${link.url}`);
        }
      }
      emulator.setCallback(`${server.url}${channel!.webhookPath}`, emulator.channel.verifyToken);
      await emulator.subscribe();
      const rate = Math.max(0.2, Number(opts.rate) || 2);
      let n = 0;
      const timer = setInterval(() => {
        const kind = n++ % 5 === 0 ? INBOUND_KINDS[n % INBOUND_KINDS.length]! : 'text';
        void emulator.deliver(kind).catch(() => undefined);
      }, 1000 / rate);
      say(`Cloud API emulator: ${emulator.url} (simulated customers write in ${rate}×/s)`);
      say(
        `Demo tenant "demo": ${await contacts.count(tenant)} encrypted customers. Console and API: ${server.url}`,
      );
      say(
        `Try: CHATVAULT_DATA_DIR=${dataDir} npx chatvault contact find --tenant demo --last4 1234 --reason "demo lookup"`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      clearInterval(timer);
      await emulator.close();
      await server.close();
    });
}

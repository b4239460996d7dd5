import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { fakeCustomers } from '../../features/demo/fake-customers.ts';
import { startServer } from '../../server.ts';

/**
 * `demo`: a server on its own data directory (`./.chatvault-demo` unless CHATVAULT_DATA_DIR is set)
 * with a demo tenant and fictional customers, so a newcomer sees encrypted data in minutes.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run a server with a demo tenant and fictional customers')
    .option('--customers <n>', 'number of fictional customers to create on first run', '200')
    .action(async (opts: { customers: string }) => {
      const env = { ...process.env };
      env.CHATVAULT_DATA_DIR ??= path.resolve('.chatvault-demo');
      const config = loadConfig(env);
      const say = (line: string) => process.stdout.write(line + '\n');
      const server = await startServer(config, say);
      const { tenants, contacts } = server.runtime;
      const existing = (await tenants.list()).find((t) => t.slug === 'demo');
      const tenant =
        existing ?? (await tenants.create({ slug: 'demo', name: 'Demo Shop', expectedContacts: 10_000 }));
      if (!existing) {
        for (const customer of fakeCustomers(Number(opts.customers) || 200))
          await contacts.create(tenant, customer, { type: 'system', id: 'demo' });
      }
      say(`Demo tenant "demo" holds ${await contacts.count(tenant)} encrypted customers.`);
      say(
        `Try: CHATVAULT_DATA_DIR=${config.dataDir} npx chatvault contact find --tenant demo --last4 1234 --reason "demo lookup"`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await server.close();
    });
}

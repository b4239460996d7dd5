import type { Command } from 'commander';
import { ValidationError } from '../../lib/errors.ts';
import { cliConfig, openRuntime, unsealForCommand, type KeyOptions } from '../context.ts';
import { print } from '../output.ts';

export function registerTenantCommands(program: Command): void {
  const tenant = program.command('tenant').description('Manage tenants (one business each)');
  tenant
    .command('create')
    .description('Create a tenant with its own versioned keys for every purpose')
    .requiredOption('--slug <slug>', 'short unique name, e.g. acme')
    .requiredOption('--name <name>', 'display name of the business')
    .option('--expected-contacts <n>', 'expected number of customers (sizes the blind indexes)', '1000000')
    .option('--shares-from <file>', 'unseal shares when there is no auto-unseal file')
    .option('--json', 'machine-readable output')
    .action(
      async (opts: { slug: string; name: string; expectedContacts: string; json?: boolean } & KeyOptions) => {
        const expectedContacts = Number(opts.expectedContacts);
        if (!Number.isInteger(expectedContacts))
          throw new ValidationError('--expected-contacts must be an integer');
        const runtime = await openRuntime(cliConfig());
        try {
          await unsealForCommand(runtime, opts);
          const created = await runtime.tenants.create({
            slug: opts.slug,
            name: opts.name,
            expectedContacts,
          });
          print(opts.json, created, () => `Created tenant ${created.slug} (${created.id}).`);
        } finally {
          await runtime.close();
        }
      },
    );

  tenant
    .command('list')
    .description('List tenants')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const runtime = await openRuntime(cliConfig());
      try {
        const all = await runtime.tenants.list();
        print(
          opts.json,
          all,
          () => all.map((t) => `${t.slug}\t${t.id}\t${t.name}`).join('\n') || 'No tenants.',
        );
      } finally {
        await runtime.close();
      }
    });
}

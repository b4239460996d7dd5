import fs from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { ValidationError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Contact } from '../../features/contacts/contacts.service.ts';
import { parseContactInput } from '../../features/contacts/contact-input-check.ts';
import { cliActor, cliConfig, openRuntime, unsealForCommand, type KeyOptions } from '../context.ts';
import { print } from '../output.ts';

const reason = z.string().trim().min(5, 'a reason of at least 5 characters is required').max(500);

export function registerContactCommands(program: Command): void {
  const contact = program.command('contact').description('Find and import customers');

  contact
    .command('find')
    .description(
      'Reveal the customers matching a phone number, last four digits or e-mail (recorded as a reveal)',
    )
    .requiredOption('--tenant <slug>', 'tenant slug')
    .option('--phone <number>', 'phone number, any common format')
    .option('--last4 <digits>', 'last four digits of the phone number')
    .option('--email <address>', 'e-mail address')
    .option('--id <contactId>', 'contact id')
    .requiredOption('--reason <text>', 'why you need to see this customer')
    .option('--shares-from <file>', 'unseal shares when there is no auto-unseal file')
    .option('--json', 'machine-readable output')
    .action(
      async (
        opts: {
          tenant: string;
          phone?: string;
          last4?: string;
          email?: string;
          id?: string;
          reason: string;
          json?: boolean;
        } & KeyOptions,
      ) => {
        parseInput(reason, opts.reason);
        const given = [opts.phone, opts.last4, opts.email, opts.id].filter((v) => v !== undefined);
        if (given.length !== 1)
          throw new ValidationError('Give exactly one of --phone, --last4, --email or --id');
        const runtime = await openRuntime(cliConfig());
        try {
          await unsealForCommand(runtime, opts);
          const tenant = await runtime.tenants.getBySlug(opts.tenant);
          const ctx = { actor: cliActor(), reason: opts.reason };
          const found: Contact[] = opts.phone
            ? await runtime.contacts.findByPhone(tenant, opts.phone, ctx)
            : opts.last4
              ? await runtime.contacts.findByLastFour(tenant, opts.last4, ctx)
              : opts.email
                ? await runtime.contacts.findByEmail(tenant, opts.email, ctx)
                : [await runtime.contacts.getById(tenant, opts.id ?? '', ctx)];
          print(opts.json, found, () =>
            found.length === 0
              ? 'No matching contact.'
              : found
                  .map(
                    (c) =>
                      `${c.id}\t${c.phone ?? '-'}\t${c.profileName ?? '-'}\t${c.email ?? '-'}\t${c.tags.join(',')}`,
                  )
                  .join('\n'),
          );
        } finally {
          await runtime.close();
        }
      },
    );

  contact
    .command('import')
    .description(
      'Import customers from JSON lines ({"waId","userId","phone","profileName","email","tags","attributes"})',
    )
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--file <path>', 'JSON-lines file, or - for standard input')
    .option('--shares-from <file>', 'unseal shares when there is no auto-unseal file')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant: string; file: string; json?: boolean } & KeyOptions) => {
      const inputs = readContacts(opts.file === '-' ? 0 : opts.file);
      const runtime = await openRuntime(cliConfig());
      try {
        await unsealForCommand(runtime, opts);
        const tenant = await runtime.tenants.getBySlug(opts.tenant);
        const ids = (await runtime.contacts.createMany(tenant, inputs, cliActor())).map((c) => c.id);
        print(opts.json, { imported: ids.length, ids }, () => `Imported ${ids.length} contacts.`);
      } finally {
        await runtime.close();
      }
    });
}

/** Validates every line before anything is stored; reports line numbers, never values. */
function readContacts(source: string | number) {
  const lines = fs.readFileSync(source, 'utf8').split(/\r?\n/);
  const inputs = [];
  const bad: number[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      inputs.push(parseContactInput(JSON.parse(line)));
    } catch {
      bad.push(i + 1);
    }
  }
  if (bad.length > 0)
    throw new ValidationError(`Invalid contact on line(s) ${bad.slice(0, 20).join(', ')}; nothing imported`);
  return inputs;
}

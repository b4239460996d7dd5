import fs from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { ConflictError } from '../../lib/errors.ts';
import { ID_PATTERN } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import { cliActor, cliConfig, openRuntime, unsealForCommand, type KeyOptions } from '../context.ts';
import { print } from '../output.ts';

const common = z.object({
  tenant: z.string().min(1).max(40),
  contact: z.string().regex(ID_PATTERN, 'not a contact id'),
  reason: z.string().trim().min(5, 'a reason of at least 5 characters is required').max(500),
});

type Options = { tenant: string; contact: string; reason: string; json?: boolean } & KeyOptions;

/** `chatvault dsr export|erase`: data-subject requests from the command line (recorded and audited). */
export function registerDsrCommands(program: Command): void {
  const dsr = program.command('dsr').description('Data-subject requests: export or erase one customer');

  dsr
    .command('export')
    .description('Write one customer’s data as an encrypted archive; prints the passphrase once')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--contact <id>', 'contact id')
    .requiredOption('--reason <text>', 'why (e.g. the customer’s request reference)')
    .requiredOption('--out <file>', 'where to write the archive (must not exist)')
    .option('--shares-from <file>', 'unseal shares when there is no auto-unseal file')
    .option('--json', 'machine-readable output')
    .action(async (opts: Options & { out: string }) => {
      const v = parseInput(common, opts);
      if (fs.existsSync(opts.out)) throw new ConflictError('The output file already exists');
      const runtime = await openRuntime(cliConfig());
      try {
        await unsealForCommand(runtime, opts);
        const tenant = await runtime.tenants.getBySlug(v.tenant);
        const request = await runtime.dsr.create(
          tenant,
          { contactId: v.contact, type: 'access', reason: v.reason },
          cliActor(),
        );
        const done = await runtime.dsr.executeAccess(tenant, request.id, cliActor());
        fs.writeFileSync(opts.out, await runtime.dsr.download(done.token), { mode: 0o600, flag: 'wx' });
        const result = {
          requestId: request.id,
          file: opts.out,
          bytes: done.bytes,
          passphrase: done.passphrase,
        };
        print(opts.json, result, () =>
          [
            `Wrote ${done.bytes} encrypted bytes to ${opts.out} (request ${request.id}).`,
            `Passphrase (shown once; give it to the customer separately from the file): ${done.passphrase}`,
          ].join('\n'),
        );
      } finally {
        await runtime.close();
      }
    });

  dsr
    .command('erase')
    .description('Crypto-shred one customer (key destroyed, rows purged, tombstone kept)')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--contact <id>', 'contact id')
    .requiredOption('--reason <text>', 'why (e.g. the customer’s request reference)')
    .option('--shares-from <file>', 'unseal shares when there is no auto-unseal file')
    .option('--json', 'machine-readable output')
    .action(async (opts: Options) => {
      const v = parseInput(common, opts);
      const runtime = await openRuntime(cliConfig());
      try {
        await unsealForCommand(runtime, opts);
        const tenant = await runtime.tenants.getBySlug(v.tenant);
        const request = await runtime.dsr.create(
          tenant,
          { contactId: v.contact, type: 'erasure', reason: v.reason },
          cliActor(),
        );
        const done = await runtime.dsr.executeErasure(tenant, request.id, cliActor(), { purgeNow: true });
        const result = {
          requestId: request.id,
          keyDestroyedMs: Math.round(done.keyDestroyedMs * 10) / 10,
          rowsPurged: done.purged,
        };
        print(
          opts.json,
          result,
          () =>
            `Erased ${v.contact}: key destroyed in ${result.keyDestroyedMs} ms, ${done.purged} rows purged (request ${request.id}).`,
        );
      } finally {
        await runtime.close();
      }
    });
}

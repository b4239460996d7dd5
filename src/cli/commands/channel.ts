import fs from 'node:fs';
import type { Command } from 'commander';
import { ValidationError } from '../../lib/errors.ts';
import { cliConfig, openRuntime, unsealForCommand, type KeyOptions } from '../context.ts';
import { print } from '../output.ts';

function readConfigFile(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file === '-' ? 0 : file, 'utf8')) as unknown;
  } catch {
    throw new ValidationError('The channel config file is missing or not JSON');
  }
}

export function registerChannelCommands(program: Command): void {
  const channel = program.command('channel').description('Connect WhatsApp business numbers');

  channel
    .command('add')
    .description('Connect a number: FILE holds appSecret, verifyToken, accessToken, phoneNumberId, wabaId')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--config <file>', 'JSON file with the channel settings, or - for standard input')
    .option('--shares-from <file>', 'unseal shares when there is no auto-unseal file')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant: string; config: string; json?: boolean } & KeyOptions) => {
      const input = readConfigFile(opts.config);
      const runtime = await openRuntime(cliConfig());
      try {
        await unsealForCommand(runtime, opts);
        const tenant = await runtime.tenants.getBySlug(opts.tenant);
        const added = await runtime.channels.add(tenant, input);
        print(opts.json, added, () =>
          [
            `Channel ${added.id} connected.`,
            `Webhook path: ${added.webhookPath}`,
            `Access token: ${added.accessToken}`,
          ].join('\n'),
        );
      } finally {
        await runtime.close();
      }
    });

  channel
    .command('rotate')
    .description('Replace some secrets of a channel (FILE holds any of appSecret, verifyToken, accessToken)')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--id <channelId>', 'channel id')
    .requiredOption('--config <file>', 'JSON file with the new secrets, or - for standard input')
    .option('--shares-from <file>', 'unseal shares when there is no auto-unseal file')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant: string; id: string; config: string; json?: boolean } & KeyOptions) => {
      const input = readConfigFile(opts.config);
      const runtime = await openRuntime(cliConfig());
      try {
        await unsealForCommand(runtime, opts);
        const tenant = await runtime.tenants.getBySlug(opts.tenant);
        const rotated = await runtime.channels.rotateSecrets(tenant, opts.id, input);
        print(opts.json, rotated, () => `Secrets of ${rotated.id} replaced.`);
      } finally {
        await runtime.close();
      }
    });

  channel
    .command('list')
    .description('List connected numbers (secrets masked)')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .option('--shares-from <file>', 'unseal shares when there is no auto-unseal file')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant: string; json?: boolean } & KeyOptions) => {
      const runtime = await openRuntime(cliConfig());
      try {
        await unsealForCommand(runtime, opts);
        const tenant = await runtime.tenants.getBySlug(opts.tenant);
        const all = await runtime.channels.list(tenant);
        print(
          opts.json,
          all,
          () => all.map((c) => `${c.id}\t${c.phoneNumberId}\t${c.webhookPath}`).join('\n') || 'No channels.',
        );
      } finally {
        await runtime.close();
      }
    });
}

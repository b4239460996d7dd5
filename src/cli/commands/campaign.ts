import fs from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { ValidationError } from '../../lib/errors.ts';
import { ID_PATTERN } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Runtime } from '../../runtime.ts';
import type { Tenant } from '../../features/tenants/tenants.service.ts';
import { cliActor, cliConfig, openRuntime, unsealForCommand, type KeyOptions } from '../context.ts';
import { print } from '../output.ts';

const tenantOpt = z.object({ tenant: z.string().min(1).max(40) });
const idOpt = tenantOpt.extend({ id: z.string().regex(ID_PATTERN, 'not a campaign id') });
type Options = { tenant: string; json?: boolean } & KeyOptions;

async function withTenant<T>(
  opts: Options,
  fn: (runtime: Runtime, tenant: Tenant) => Promise<T>,
): Promise<T> {
  const v = parseInput(tenantOpt, opts);
  const runtime = await openRuntime(cliConfig());
  try {
    await unsealForCommand(runtime, opts);
    return await fn(runtime, await runtime.tenants.getBySlug(v.tenant));
  } finally {
    await runtime.close();
  }
}

function readJson(file: string): unknown {
  if (!fs.existsSync(file)) throw new ValidationError('The campaign file does not exist');
  if (fs.statSync(file).size > 64 * 1024)
    throw new ValidationError('The campaign file is larger than 64 KiB');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch {
    throw new ValidationError('The campaign file is not valid JSON');
  }
}

const common = (c: Command) =>
  c
    .requiredOption('--tenant <slug>', 'tenant slug')
    .option('--shares-from <file>', 'unseal shares when there is no auto-unseal file')
    .option('--json', 'machine-readable output');

/** `chatvault campaign …`: templates, preview, create, start / pause / resume / cancel, status. */
export function registerCampaignCommands(program: Command): void {
  const campaign = program.command('campaign').description('Consent-based marketing campaigns');

  common(campaign.command('templates').description('Sync message templates from the Graph API and list them'))
    .option('--channel <id>', 'channel id to sync first')
    .action(async (opts: Options & { channel?: string }) =>
      withTenant(opts, async (runtime, tenant) => {
        if (opts.channel) await runtime.campaigns.templates.sync(tenant.id, opts.channel);
        const list = await runtime.campaigns.templates.list(tenant.id);
        print(opts.json, list, () =>
          list
            .map((t) => `${t.name} ${t.language} ${t.category} ${t.status}${t.usable ? '' : ' (not usable)'}`)
            .join('\n'),
        );
      }),
    );

  for (const [name, describe] of [
    ['preview', 'Count the segment and show the filled-in body (FILE: the campaign JSON)'],
    ['create', 'Create a draft campaign from FILE (JSON: name, channelId, template, parameters, segment, …)'],
  ] as const)
    common(campaign.command(name).description(describe))
      .requiredOption('--file <file>', 'campaign JSON')
      .action(async (opts: Options & { file: string }) =>
        withTenant(opts, async (runtime, tenant) => {
          const input = readJson(opts.file);
          const c = runtime.campaigns.campaigns;
          const result =
            name === 'preview'
              ? await c.preview(tenant.id, input)
              : await c.create(tenant.id, input, cliActor());
          print(opts.json, result, () =>
            'recipients' in result
              ? `${result.recipients} recipients\n${result.body}`
              : `Created campaign ${result.id} (draft); start it with: chatvault campaign start --tenant ${opts.tenant} --id ${result.id}`,
          );
        }),
      );

  for (const command of ['start', 'pause', 'resume', 'cancel'] as const)
    common(
      campaign.command(command).description(`${command[0]!.toUpperCase()}${command.slice(1)} a campaign`),
    )
      .requiredOption('--id <id>', 'campaign id')
      .action(async (opts: Options & { id: string }) => {
        const v = parseInput(idOpt, opts);
        await withTenant(opts, async (runtime, tenant) => {
          const c = await runtime.campaigns.campaigns.command(tenant.id, v.id, command, cliActor());
          print(opts.json, c, () => `Campaign ${c.id} is ${c.status}`);
        });
      });

  common(campaign.command('status').description('Progress and results of a campaign (counts only)'))
    .requiredOption('--id <id>', 'campaign id')
    .action(async (opts: Options & { id: string }) => {
      const v = parseInput(idOpt, opts);
      await withTenant(opts, async (runtime, tenant) => {
        const r = await runtime.campaigns.campaigns.results(tenant.id, v.id);
        print(opts.json, r, () =>
          [
            `${r.status}${r.stopReason ? ` (${r.stopReason})` : ''}: ${r.total} recipients, ${r.queued} queued, ${r.sent} sent, ${r.delivered} delivered, ${r.read} read, ${r.failed} failed, ${r.optedOut} opted out`,
            ...r.failures.map((f) => `  error ${f.code} × ${f.count}: ${f.hint}`),
          ].join('\n'),
        );
      });
    });

  common(campaign.command('list').description('Campaigns of a tenant')).action(async (opts: Options) =>
    withTenant(opts, async (runtime, tenant) => {
      const list = await runtime.campaigns.campaigns.list(tenant.id);
      print(opts.json, list, () => list.map((c) => `${c.id} ${c.status} ${c.name}`).join('\n'));
    }),
  );
}

import fs from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { parseInput } from '../../lib/validation.ts';
import { createVendorReports, reportCsv } from '../../features/vendors/report.service.ts';
import { reportQuery } from '../../features/vendors/vendors.schema.ts';
import { cliConfig, openRuntime, unsealForCommand, type KeyOptions } from '../context.ts';
import { print } from '../output.ts';

const vendorId = z.string().regex(/^vn_[0-9a-z]{26}$/, 'must be a vendor id (vn_…)');

export function registerVendorCommands(program: Command): void {
  const vendor = program.command('vendor').description('The vendor register and per-vendor access reports');

  vendor
    .command('list')
    .description('List the registered vendors with their status and review dates')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant: string; json?: boolean }) => {
      const runtime = await openRuntime(cliConfig());
      try {
        const tenant = await runtime.tenants.getBySlug(opts.tenant);
        const vendors = await runtime.vendors.list(tenant.id);
        print(opts.json, vendors, () =>
          vendors.length === 0
            ? 'No vendors.'
            : vendors
                .map(
                  (v) =>
                    `${v.id}  ${v.name}  ${v.status}${v.suspendedReason ? ` (${v.suspendedReason})` : ''}  next review ${v.nextReviewAt.slice(0, 10)}`,
                )
                .join('\n'),
        );
      } finally {
        await runtime.close();
      }
    });

  vendor
    .command('report')
    .description("What a vendor's keys read and wrote in a period, from the audit log (CSV or JSON)")
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--vendor <id>', 'vendor id (vn_…)')
    .requiredOption('--from <date>', 'start of the period (YYYY-MM-DD or ISO time, inclusive)')
    .requiredOption('--to <date>', 'end of the period (exclusive)')
    .option('--format <format>', 'csv or json', 'json')
    .option('--out <file>', 'output file, or - for standard output', '-')
    .option('--shares-from <file>', 'unseal shares when there is no auto-unseal file')
    .option('--json', 'with --out: a machine-readable summary on standard output')
    .action(
      async (
        opts: {
          tenant: string;
          vendor: string;
          from: string;
          to: string;
          format: string;
          out: string;
          json?: boolean;
        } & KeyOptions,
      ) => {
        const id = parseInput(vendorId, opts.vendor);
        const q = parseInput(reportQuery, { from: opts.from, to: opts.to, format: opts.format });
        const runtime = await openRuntime(cliConfig());
        try {
          await unsealForCommand(runtime, opts);
          const tenant = await runtime.tenants.getBySlug(opts.tenant);
          const reports = createVendorReports({
            vendors: runtime.vendors,
            apiKeys: runtime.apiKeys,
            audit: runtime.audit,
          });
          const report = await reports.report(tenant.id, id, q);
          const text = q.format === 'csv' ? reportCsv(report) : `${JSON.stringify(report, null, 2)}\n`;
          if (opts.out === '-') {
            process.stdout.write(text);
            return;
          }
          fs.writeFileSync(opts.out, text, { mode: 0o600 });
          print(
            opts.json,
            { out: opts.out, entries: report.entries.length, summary: report.summary },
            () => `Wrote ${report.entries.length} entries for ${report.vendor.name} to ${opts.out}`,
          );
        } finally {
          await runtime.close();
        }
      },
    );
}

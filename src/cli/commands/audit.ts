import fs from 'node:fs';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { IntegrityError, SealedError } from '../../lib/errors.ts';
import { parseTrustedFile } from '../../features/audit/export.ts';
import type { TenantVerification } from '../../features/audit/verify.ts';
import type { Runtime } from '../../runtime.ts';
import { cliConfig, openRuntime, unsealForCommand, type KeyOptions } from '../context.ts';
import { print } from '../output.ts';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('Verify and export the tamper-evident audit log');

  audit
    .command('verify')
    .description(
      'Recompute every chain hash, Merkle root and checkpoint signature; report the first bad entry (exit 1)',
    )
    .option('--tenant <slug>', 'only this tenant (default: every tenant)')
    .option(
      '--checkpoint <file>',
      'an earlier `audit export` file: the log must still extend its checkpoint, and its keys are trusted',
    )
    .option('--shares-from <file>', 'unseal shares, to confirm the public keys against the root-wrapped keys')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant?: string; checkpoint?: string; json?: boolean } & KeyOptions) => {
      const anchors = opts.checkpoint
        ? parseTrustedFile(fs.readFileSync(opts.checkpoint, 'utf8'))
        : undefined;
      const runtime = await openRuntime(cliConfig());
      try {
        await unsealIfPossible(runtime, opts);
        const names = await tenantNames(runtime);
        const ids = opts.tenant
          ? [(await runtime.tenants.getBySlug(opts.tenant)).id]
          : [...new Set([...(await runtime.audit.tenantIds()), ...(anchors?.keys() ?? [])])].sort();
        const results: TenantVerification[] = [];
        for (const id of ids) results.push(await runtime.audit.verify(id, anchors?.get(id)));
        const ok = results.every((r) => r.ok);
        print(
          opts.json,
          { ok, tenants: results.map((r) => ({ ...r, slug: names.get(r.tenantId) ?? null })) },
          () => results.map((r) => describe(r, names.get(r.tenantId) ?? r.tenantId)).join('\n'),
        );
        const failed = results.filter((r) => !r.ok).length;
        if (!ok) throw new IntegrityError(`Audit verification failed for ${failed} tenant(s)`);
      } finally {
        await runtime.close();
      }
    });

  audit
    .command('export')
    .description(
      'Write the audit log as JSON lines for a SIEM: public keys, entries (ciphertexts only), checkpoints',
    )
    .option('--tenant <slug>', 'only this tenant (default: every tenant)')
    .option('--out <file>', 'output file, or - for standard output', '-')
    .option('--shares-from <file>', 'unseal shares, to sign a final checkpoint over the newest entries')
    .option('--json', 'machine-readable summary')
    .action(async (opts: { tenant?: string; out: string; json?: boolean } & KeyOptions) => {
      const runtime = await openRuntime(cliConfig());
      try {
        if (await unsealIfPossible(runtime, opts)) await runtime.audit.sequence({ forceCheckpoint: true });
        const ids = opts.tenant
          ? [(await runtime.tenants.getBySlug(opts.tenant)).id]
          : await runtime.audit.tenantIds();
        const out: Writable =
          opts.out === '-' ? process.stdout : fs.createWriteStream(opts.out, { mode: 0o600, flags: 'w' });
        const write = (line: string) =>
          out.write(line) ? undefined : new Promise<void>((resolve) => out.once('drain', resolve));
        await write(
          JSON.stringify({ type: 'export', format: 'chatvault-audit-v1', at: new Date().toISOString() }) +
            '\n',
        );
        let entries = 0;
        let checkpoints = 0;
        for (const id of ids) {
          const r = await runtime.audit.export(id, write);
          entries += r.entries;
          checkpoints += r.checkpoints;
        }
        if (out !== process.stdout)
          await new Promise<void>((resolve, reject) => out.end(() => resolve()).once('error', reject));
        const summary = { tenants: ids.length, entries, checkpoints, out: opts.out };
        const line = `Exported ${entries} entries and ${checkpoints} checkpoints of ${ids.length} tenant(s).`;
        if (opts.out === '-') process.stderr.write(line + '\n');
        else print(opts.json, summary, () => line);
      } finally {
        await runtime.close();
      }
    });
}

/**
 * Unseals when the auto-unseal file or shares allow it, and says whether it did. Sealed, `verify`
 * trusts only the keys of a `--checkpoint` file (and reports `key_unverifiable` without one).
 */
async function unsealIfPossible(runtime: Runtime, opts: KeyOptions): Promise<boolean> {
  try {
    await unsealForCommand(runtime, opts);
    return true;
  } catch (error) {
    if (error instanceof SealedError) return false;
    throw error;
  }
}

async function tenantNames(runtime: Runtime): Promise<Map<string, string>> {
  return new Map((await runtime.tenants.list()).map((t) => [t.id, t.slug]));
}

function describe(r: TenantVerification, name: string): string {
  const counts = `${r.entries} entries, ${r.checkpoints} checkpoints, ${r.pending} pending, keys: ${r.keyTrust}`;
  if (r.ok) return `${name}\tok\t${counts}`;
  const at = r.problem?.seq !== undefined ? ` at entry ${r.problem.seq}` : '';
  return `${name}\tFAILED${at} (${r.problem?.kind}): ${r.problem?.message}\t${counts}`;
}

import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { InvalidSharesError, ValidationError } from '../../lib/errors.ts';
import { createBackup, restoreBackup, verifyBackup } from '../../features/backup/backup.service.ts';
import { rekeyLocalKeys } from '../../features/keys/rekey.ts';
import { restoreShredState } from '../../features/dsr/shred-store.ts';
import type { Runtime } from '../../runtime.ts';
import {
  cliActor,
  cliConfig,
  openRuntime,
  promptShares,
  readSharesFile,
  unsealForCommand,
  type KeyOptions,
} from '../context.ts';
import { print } from '../output.ts';

function optionalInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 255)
    throw new ValidationError(`${name} must be an integer from 1 to 255`);
  return n;
}

/** `backup restore` options; `--shred-from` puts the (separately kept) shred state in place. */
type RestoreOptions = { dataDir: string; shredFrom?: string; json?: boolean } & KeyOptions;

/** Shares from `--shares-from FILE|-`, else a hidden prompt on a terminal, else none. */
async function sharesOf(opts: KeyOptions, runtime?: Pick<Runtime, 'provider'>): Promise<string[]> {
  if (opts.sharesFrom) return readSharesFile(opts.sharesFrom);
  return runtime ? promptShares(runtime) : [];
}

async function recordRekey(runtime: Runtime, detail: Record<string, unknown>): Promise<void> {
  const tenantIds = (await runtime.database.db.selectFrom('tenants').select('id').execute()).map((t) => t.id);
  await runtime.database.db.transaction().execute(async (trx) => {
    for (const tenantId of tenantIds)
      await runtime.audit.append(trx, {
        tenantId,
        actor: cliActor(),
        action: 'key_rotate',
        target: { type: 'unseal_key', id: 'unseal' },
        outcome: 'success',
        detail,
      });
  });
}

/** `keys backup`: rekey the unseal key into a new, verified share set. */
export function registerKeyBackupCommand(program: Command): void {
  const keys = program.commands.find((c) => c.name() === 'keys');
  if (!keys) throw new Error('register the keys command first');
  keys
    .command('backup')
    .description(
      'Rekey: k current shares prove possession, a new unseal key is split into a new, verified share set',
    )
    .option('--shares <n>', 'number of new shares (default: as now)')
    .option('--threshold <k>', 'new shares needed to unseal (default: as now)')
    .option('--shares-from <file>', 'k CURRENT shares, one per line, or - for standard input (else a prompt)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { shares?: string; threshold?: string; json?: boolean } & KeyOptions) => {
      const requested = {
        shares: optionalInt(opts.shares, '--shares'),
        threshold: optionalInt(opts.threshold, '--threshold'),
      };
      const config = cliConfig();
      if (config.keyProvider !== 'local')
        throw new ValidationError(
          'keys backup rekeys the local unseal key; with pkcs11 the token holds the root key',
        );
      const runtime = await openRuntime(config);
      try {
        const current = await sharesOf(opts, runtime);
        if (current.length === 0) throw new InvalidSharesError('No current shares were given');
        for (const share of current) if (!(await runtime.provider.submitShare(share)).sealed) break;
        if (runtime.provider.isSealed()) throw new InvalidSharesError('Too few current shares to rekey');
        const result = await rekeyLocalKeys(config.dataDir, current, {
          ...(requested.shares ? { shares: requested.shares } : {}),
          ...(requested.threshold ? { threshold: requested.threshold } : {}),
        });
        try {
          await recordRekey(runtime, {
            purpose: 'unseal',
            shares: result.shares.length,
            threshold: result.threshold,
            rootVersions: result.rootVersions,
          });
        } catch {
          process.stderr.write('chatvault: warning: the rekey happened but could not be audited\n');
        }
        print(
          opts.json,
          {
            shares: result.shares,
            threshold: result.threshold,
            removedRecoveryFile: result.removedRecoveryFile,
          },
          () =>
            [
              `Rekeyed: a new unseal key re-seals ${result.rootVersions} root version(s); the old shares no longer unseal.`,
              `New shares (any ${result.threshold} of ${result.shares.length}). They are shown ONCE: give each to a different person.`,
              ...result.shares.map((s, i) => `  share ${i + 1}: ${s}`),
              ...(result.removedRecoveryFile
                ? ['The old recovery-shares file held the old shares and was deleted.']
                : []),
              'A running server keeps working; unseal it with the new shares after its next seal or restart.',
            ].join('\n'),
        );
      } finally {
        await runtime.close();
      }
    });
}

/** `backup create|verify|restore`: encrypted, integrity-protected backups of a data directory. */
export function registerBackupCommands(program: Command): void {
  const backup = program.command('backup').description('Encrypted, integrity-protected backups (SQLite)');

  backup
    .command('create <file>')
    .description(
      'Snapshot the database, media blobs and sealed keyfile into FILE (ciphertext and wrapped keys only)',
    )
    .option('--shares-from <file>', 'unseal shares (the root key wraps the backup authentication key)')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { json?: boolean } & KeyOptions) => {
      const config = cliConfig();
      const runtime = await openRuntime(config);
      try {
        await unsealForCommand(runtime, opts);
        const summary = createBackup(config, { provider: runtime.provider, now: runtime.clock.now() }, file);
        await runtime.audit.appendToAllTenants({
          actor: cliActor(),
          action: 'sensitive_export',
          target: { type: 'backup', id: summary.id },
          outcome: 'success',
        });
        print(
          opts.json,
          summary,
          () =>
            `Backup ${summary.id} written: ${summary.entries} entries (${summary.blobs} media blobs), ${summary.bytes} bytes.`,
        );
      } finally {
        await runtime.close();
      }
    });

  backup
    .command('verify <file>')
    .description(
      'Check every checksum and authenticate the backup with k shares (or the HSM); writes nothing',
    )
    .option('--shares-from <file>', 'unseal shares of the backed-up vault, one per line, or -')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { json?: boolean } & KeyOptions) => {
      const manifest = await verifyBackup(file, cliConfig(), await sharesOf(opts));
      print(
        opts.json,
        {
          id: manifest.id,
          createdAt: manifest.createdAt,
          entries: manifest.entries.length,
          authenticated: true,
        },
        () =>
          `Backup ${manifest.id} of ${manifest.createdAt} is intact and authentic (${manifest.entries.length} entries).`,
      );
    });

  backup
    .command('restore <file>')
    .description('Restore FILE into a fresh data directory, sealed; then `chatvault unseal` with k shares')
    .requiredOption('--data-dir <dir>', 'an empty or new directory')
    .option('--shares-from <file>', 'also authenticate the backup with k shares before writing (recommended)')
    .option(
      '--shred-from <file>',
      'the NEWEST shred state (shred/state.bin, kept apart from backups): without it no customer opens',
    )
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: RestoreOptions) => {
      const target = path.resolve(opts.dataDir);
      const shares = opts.sharesFrom ? readSharesFile(opts.sharesFrom) : undefined;
      if (opts.shredFrom !== undefined && !fs.statSync(opts.shredFrom, { throwIfNoEntry: false })?.isFile())
        throw new ValidationError('--shred-from must name the shred state file (shred/state.bin)');
      const result = await restoreBackup(file, target, cliConfig(), shares);
      if (opts.shredFrom !== undefined) restoreShredState(opts.shredFrom, target);
      print(
        opts.json,
        { id: result.manifest.id, dataDir: target, sealed: true, authenticated: result.authenticated },
        () =>
          [
            `Restored backup ${result.manifest.id} into ${target}; the vault is sealed.`,
            result.authenticated
              ? 'Checksums and authentication passed.'
              : 'Checksums passed; authenticate with `chatvault backup verify FILE --shares-from …`.',
            `Next: CHATVAULT_DATA_DIR=${target} chatvault unseal --shares-from FILE (k shares).`,
          ].join('\n'),
      );
    });
}

import type { Command } from 'commander';
import { InvalidSharesError, ValidationError } from '../../lib/errors.ts';
import { initLocalKeys } from '../../features/keys/local-provider.ts';
import { sendControl } from '../../features/system/control-socket.ts';
import type { UnsealProgress } from '../../features/keys/key-provider.ts';
import { cliConfig, openRuntime, readSharesFile } from '../context.ts';
import { print } from '../output.ts';

/** `init`, `unseal`, `seal`: the life of the root key. */
export function registerKeySetupCommands(program: Command): void {
  program
    .command('init')
    .description('Create the root key, split its unseal key into Shamir shares and prepare the database')
    .option('--shares <n>', 'number of unseal shares', '5')
    .option('--threshold <k>', 'shares needed to unseal', '3')
    .option('--auto-unseal', 'also write a local auto-unseal file (single trusted machine only)', false)
    .option('--json', 'machine-readable output')
    .action(async (opts: { shares: string; threshold: string; autoUnseal: boolean; json?: boolean }) => {
      const shares = Number(opts.shares);
      const threshold = Number(opts.threshold);
      if (
        !Number.isInteger(shares) ||
        !Number.isInteger(threshold) ||
        threshold < 2 ||
        shares < threshold ||
        shares > 255
      ) {
        throw new ValidationError('Need integers with 2 ≤ threshold ≤ shares ≤ 255');
      }
      const config = cliConfig();
      const result = await initLocalKeys(config.dataDir, {
        shares,
        threshold,
        now: new Date(),
        autoUnseal: opts.autoUnseal,
      });
      const runtime = await openRuntime(config);
      await runtime.close();
      print(opts.json, { shares: result.shares, threshold, dataDir: config.dataDir }, () =>
        [
          `Initialised ${config.dataDir}.`,
          `Unseal shares (any ${threshold} of ${shares} unseal the vault). They are shown ONCE: give each to a different person.`,
          ...result.shares.map((s, i) => `  share ${i + 1}: ${s}`),
          opts.autoUnseal
            ? 'WARNING: a local auto-unseal file was written; anyone who can read the data directory can read the data.'
            : 'Unseal a running server with `chatvault unseal`.',
        ].join('\n'),
      );
    });

  program
    .command('unseal')
    .description('Submit unseal shares to the running server (one per line from --shares-from FILE|-)')
    .requiredOption('--shares-from <file>', 'file with shares, one per line, or - for standard input')
    .option('--json', 'machine-readable output')
    .action(async (opts: { sharesFrom: string; json?: boolean }) => {
      const config = cliConfig();
      const shares = readSharesFile(opts.sharesFrom);
      if (shares.length === 0) throw new InvalidSharesError('No shares were given');
      let status: UnsealProgress | undefined;
      for (const share of shares) {
        const reply = await sendControl(config.dataDir, { command: 'unseal', share });
        if (reply === undefined) {
          status = await unsealOffline(config, shares);
          break;
        }
        if (!reply.ok) throw new InvalidSharesError(reply.message);
        status = reply.status;
        if (!status.sealed) break;
      }
      print(opts.json, status, () =>
        status?.sealed
          ? `Still sealed: ${status.received} of ${status.threshold} shares received.`
          : 'Unsealed.',
      );
    });

  program
    .command('seal')
    .description('Drop every key from memory now (break-glass); only unseal shares can undo it')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const config = cliConfig();
      const reply = await sendControl(config.dataDir, { command: 'seal' });
      if (reply === undefined) {
        const runtime = await openRuntime(config);
        await runtime.seal();
        await runtime.close();
      } else if (!reply.ok) {
        throw new Error(reply.message);
      }
      print(opts.json, { sealed: true, server: reply !== undefined }, () =>
        reply
          ? 'Sealed the running server.'
          : 'No server is running; the vault stays sealed at its next start.',
      );
    });
}

/** With no server running, check the shares and lift a deliberate seal so the next start may auto-unseal. */
async function unsealOffline(config: ReturnType<typeof cliConfig>, shares: string[]) {
  const runtime = await openRuntime(config);
  try {
    let status = runtime.provider.status();
    for (const share of shares) {
      status = await runtime.provider.submitShare(share);
      if (!status.sealed) break;
    }
    return status;
  } finally {
    await runtime.close();
  }
}

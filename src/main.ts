import './lib/v8-workarounds.ts';
import { Command, CommanderError } from 'commander';
import { AppError } from './lib/errors.ts';
import { registerAuditCommands } from './cli/commands/audit.ts';
import { registerBackupCommands, registerKeyBackupCommand } from './cli/commands/backup.ts';
import { registerChannelCommands } from './cli/commands/channel.ts';
import { registerContactCommands } from './cli/commands/contact.ts';
import { registerDemoCommand } from './cli/commands/demo.ts';
import { registerDlpCommands } from './cli/commands/dlp.ts';
import { registerDsrCommands } from './cli/commands/dsr.ts';
import { registerCampaignCommands } from './cli/commands/campaign.ts';
import { registerEmulatorCommand } from './cli/commands/emulator.ts';
import { registerKeySetupCommands } from './cli/commands/keys-setup.ts';
import { registerKeyCommands } from './cli/commands/keys.ts';
import { registerOperatorCommands } from './cli/commands/operator.ts';
import { registerServeCommand } from './cli/commands/serve.ts';
import { registerTenantCommands } from './cli/commands/tenant.ts';
import { registerVendorCommands } from './cli/commands/vendor.ts';

/** The CLI entry point: the only place that decides the process exit code. */
async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('chatvault')
    .description(
      'ChatVault: an encrypted customer-data vault and secure inbox for the WhatsApp Business Platform',
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerKeySetupCommands(program);
  registerKeyCommands(program);
  registerKeyBackupCommand(program);
  registerBackupCommands(program);
  registerServeCommand(program);
  registerDemoCommand(program);
  registerEmulatorCommand(program);
  registerTenantCommands(program);
  registerVendorCommands(program);
  registerContactCommands(program);
  registerChannelCommands(program);
  registerOperatorCommands(program);
  registerAuditCommands(program);
  registerDlpCommands(program);
  registerDsrCommands(program);
  registerCampaignCommands(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ||
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version'
        ? 0
        : 2;
    }
    const json = argv.includes('--json');
    const code = error instanceof AppError ? error.code : 'internal';
    const message = error instanceof Error ? error.message.split('\n').join('; ') : 'unknown error';
    if (json) process.stderr.write(JSON.stringify({ error: { code, message } }) + '\n');
    else process.stderr.write(`chatvault: ${message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);

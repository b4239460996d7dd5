import type { Command } from 'commander';
import { startServer } from '../../server.ts';
import { cliConfig } from '../context.ts';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the ChatVault server (HTTP API, console, background workers)')
    .action(async () => {
      const server = await startServer(cliConfig(), (line) => process.stdout.write(line + '\n'));
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });
}

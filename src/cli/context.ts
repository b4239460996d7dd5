import fs from 'node:fs';
import readline from 'node:readline';
import { loadConfig, type Config } from '../config.ts';
import { systemClock } from '../lib/clock.ts';
import { SealedError } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';
import { createRuntime, type Runtime } from '../runtime.ts';
import pino from 'pino';

/**
 * Who the audit log records for a CLI command: the OS user id of the process (a number, not a name).
 * Operator sign-in for the CLI arrives with issue 4.
 */
export function cliActor(): { type: 'cli'; id: string } {
  return { type: 'cli', id: `uid:${process.getuid?.() ?? 'unknown'}` };
}

/** Options shared by every command that needs keys. */
export interface KeyOptions {
  sharesFrom?: string;
}

export function cliConfig(): Config {
  return loadConfig(process.env);
}

/** A runtime for one CLI command: logs go to stderr at warn level, never to stdout. */
export async function openRuntime(config: Config): Promise<Runtime> {
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, pino.destination(2));
  return createRuntime(config, { logger, clock: systemClock });
}

/**
 * Makes the key provider usable for a key-needing command. Order: the local auto-unseal file (unless
 * the vault was sealed on purpose), then shares from `--shares-from FILE|-`, then a hidden prompt on
 * a terminal. Without any of these the command fails with the sealed error.
 */
export async function unsealForCommand(runtime: Runtime, options: KeyOptions): Promise<void> {
  if (runtime.provider.autoUnseal()) return;
  const shares = options.sharesFrom ? readSharesFile(options.sharesFrom) : await promptShares(runtime);
  if (shares.length === 0) throw new SealedError();
  for (const share of shares) {
    const progress = await runtime.provider.submitShare(share);
    if (!progress.sealed) return;
  }
  throw new SealedError();
}

export function readSharesFile(source: string): string[] {
  const text = source === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(source, 'utf8');
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

/** Asks for the threshold number of shares with a hidden prompt; none when standard input is no terminal. */
export async function promptShares(runtime: Pick<Runtime, 'provider'>): Promise<string[]> {
  if (!process.stdin.isTTY) return [];
  const { threshold } = runtime.provider.status();
  const shares: string[] = [];
  for (let i = 1; i <= threshold; i++)
    shares.push(await hiddenQuestion(`Unseal share ${i} of ${threshold}: `));
  return shares;
}

function hiddenQuestion(prompt: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const writable = rl as unknown as { _writeToOutput: (s: string) => void };
  process.stderr.write(prompt);
  writable._writeToOutput = () => undefined;
  return new Promise((resolve) =>
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer.trim());
    }),
  );
}

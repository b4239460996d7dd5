import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Command } from 'commander';
import { startEmulator, type Emulator, type LoadReport } from '../../features/whatsapp/emulator/index.ts';
import { UnavailableError, ValidationError } from '../../lib/errors.ts';

interface EmulatorCommandOptions {
  port: string;
  host?: string;
  callback?: string;
  config?: string;
  load?: string;
  seconds: string;
  batch: string;
  writeChannel?: string;
  json?: boolean;
}

/**
 * `emulator`: the WhatsApp Cloud API emulator on loopback. Prints its base URL (for
 * CHATVAULT_GRAPH_API_BASE) and the channel config to paste into `chatvault channel add`; with
 * `--load N --seconds T` it sends N inbound messages a second for T seconds, prints the report and exits.
 * Credentials come from `--config` or are generated per run; they are emulator credentials only.
 */
export function registerEmulatorCommand(program: Command): void {
  program
    .command('emulator')
    .description('Run the WhatsApp Cloud API emulator (Graph API, media, templates, signed webhooks, load)')
    .option('--port <port>', 'port to listen on', '8090')
    .option('--host <host>', 'loopback address to listen on (default 127.0.0.1)')
    .option(
      '--callback <url>',
      'webhook callback URL (ChatVault: http://127.0.0.1:8080/webhooks/whatsapp/<channelId>)',
    )
    .option('--config <file>', 'JSON settings (appSecret, accessToken, verifyToken, seed, throughput, …)')
    .option('--load <n>', 'inbound messages per second to send, then exit')
    .option('--seconds <t>', 'duration of the load run', '10')
    .option('--batch <b>', 'messages per webhook delivery during the load run', '1')
    .option('--write-channel <file>', 'also write the channel config to this file (mode 0600)')
    .option('--json', 'print one JSON line instead of text')
    .action(async (opts: EmulatorCommandOptions) => {
      const emulator = await startEmulator(settingsFrom(opts));
      // Listen for the stop signals before printing: a supervisor may signal as soon as it reads the URL.
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      const say = (line: string) => process.stdout.write(line + '\n');
      const channel = JSON.stringify(emulator.channel);
      if (opts.writeChannel) fs.writeFileSync(opts.writeChannel, channel + '\n', { mode: 0o600 });
      const subscribed = emulator.settings.callbackUrl ? await emulator.subscribe() : false;
      if (opts.json)
        say(
          JSON.stringify({
            url: emulator.url,
            graphApiBase: emulator.url,
            channel: emulator.channel,
            callbackUrl: emulator.settings.callbackUrl ?? null,
            subscribed,
            customers: emulator.customers.list.length,
          }),
        );
      else printBanner(emulator, say, subscribed);
      if (opts.load !== undefined) {
        try {
          const report = await runLoad(emulator, opts);
          say(opts.json ? JSON.stringify({ load: report }) : describeLoad(report));
        } finally {
          await emulator.close();
        }
        return;
      }
      await stopped;
      await emulator.close();
    });
}

function settingsFrom(opts: EmulatorCommandOptions): Parameters<typeof startEmulator>[0] {
  const file = opts.config
    ? (JSON.parse(fs.readFileSync(opts.config, 'utf8')) as Record<string, unknown>)
    : {};
  const port = Number(opts.port);
  if (!Number.isInteger(port)) throw new ValidationError('--port must be an integer');
  return {
    ...file,
    appSecret: typeof file.appSecret === 'string' ? file.appSecret : randomBytes(32).toString('hex'),
    accessToken:
      typeof file.accessToken === 'string' ? file.accessToken : `EAA${randomBytes(48).toString('base64url')}`,
    verifyToken: typeof file.verifyToken === 'string' ? file.verifyToken : randomBytes(16).toString('hex'),
    port: typeof file.port === 'number' && opts.port === '8090' ? file.port : port,
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.callback ? { callbackUrl: opts.callback } : {}),
  };
}

async function runLoad(emulator: Emulator, opts: EmulatorCommandOptions): Promise<LoadReport> {
  if (!emulator.settings.callbackUrl)
    throw new ValidationError('--load needs --callback (or callbackUrl in --config)');
  if (!(await emulator.subscribe()))
    throw new UnavailableError('The callback did not answer the webhook handshake; is ChatVault running?');
  const rate = Number(opts.load);
  const seconds = Number(opts.seconds);
  const batch = Number(opts.batch);
  if (!(rate > 0) || !(seconds > 0) || !Number.isInteger(batch))
    throw new ValidationError('--load and --seconds must be positive numbers, --batch an integer');
  const run = emulator.startLoad({ rate, seconds, batch });
  const stop = () => run.stop();
  process.once('SIGINT', stop);
  try {
    return await run.done;
  } finally {
    process.off('SIGINT', stop);
  }
}

function printBanner(emulator: Emulator, say: (line: string) => void, subscribed: boolean): void {
  say(`WhatsApp Cloud API emulator listening on ${emulator.url}`);
  say(`  Point ChatVault at it:  CHATVAULT_GRAPH_API_BASE=${emulator.url}`);
  say(`  Channel config for \`chatvault channel add --config FILE.json\` (emulator credentials):`);
  say(`  ${JSON.stringify(emulator.channel)}`);
  const callback = emulator.settings.callbackUrl;
  if (callback)
    say(
      `  Webhooks to ${callback}: handshake ${subscribed ? 'succeeded' : 'failed (retried on first delivery)'}`,
    );
  else say('  No webhook callback: pass --callback URL to receive signed webhooks.');
  say(`  ${emulator.customers.list.length} simulated customers; stop with Ctrl-C.`);
}

function describeLoad(r: LoadReport): string {
  return (
    `Load: ${r.sent} messages in ${r.deliveries} deliveries over ${(r.sendMs / 1000).toFixed(2)} s ` +
    `(${r.achievedRate}/s, target ${r.rate}/s); acked ${r.acked}, retried ${r.retried}, ` +
    `dropped ${r.dropped}, duplicates ${r.duplicates}; drained in ${r.drainMs} ms`
  );
}

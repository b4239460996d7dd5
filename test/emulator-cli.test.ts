import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { channelConfig } from '../src/features/channels/channels.schema.ts';
import type { LoadReport } from '../src/features/whatsapp/emulator/index.ts';
import { runCli } from './support/cli.ts';
import { ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN, messagesIn, startReceiver } from './emulator-support.ts';

const main = path.resolve(import.meta.dirname, '../src/main.ts');

/** Starts `chatvault emulator …`, returns its first stdout line, then stops it with SIGTERM. */
function firstLineThenStop(args: string[]): Promise<{ line: string; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, 'emulator', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    });
    let stdout = '';
    let stderr = '';
    let line: string | undefined;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (line === undefined && stdout.includes('\n')) {
        line = stdout.slice(0, stdout.indexOf('\n'));
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ line: line ?? '', code, stderr }));
  });
}

describe('chatvault emulator (CLI)', () => {
  test('--json prints the base URL and a channel config that `channel add` accepts, and stops on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-emulator-'));
    const channelFile = path.join(dir, 'channel.json');
    try {
      const { line, code, stderr } = await firstLineThenStop([
        '--port',
        '0',
        '--json',
        '--write-channel',
        channelFile,
      ]);
      assert.equal(code, 0, stderr);
      const printed = JSON.parse(line) as {
        url: string;
        graphApiBase: string;
        channel: unknown;
        customers: number;
      };
      assert.match(printed.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(printed.graphApiBase, printed.url);
      const channel = channelConfig.parse(printed.channel);
      assert.deepEqual(JSON.parse(fs.readFileSync(channelFile, 'utf8')), channel);
      assert.equal(fs.statSync(channelFile).mode & 0o777, 0o600);
      assert.ok(printed.customers > 0);
      assert.ok(
        !stderr.includes(channel.accessToken) && !stderr.includes(channel.appSecret),
        'no secret in logs',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--load N --seconds T delivers signed webhooks to the callback, prints the report and exits', async () => {
    const receiver = await startReceiver();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-emulator-'));
    const config = path.join(dir, 'emulator.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        appSecret: APP_SECRET,
        accessToken: ACCESS_TOKEN,
        verifyToken: VERIFY_TOKEN,
        seed: 7,
      }),
    );
    try {
      const args = ['emulator', '--port', '0', '--config', config, '--callback', receiver.url];
      const result = await runCli([...args, '--load', '40', '--seconds', '0.5', '--json'], {});
      assert.equal(result.code, 0, result.stderr);
      const [bannerLine, reportLine] = result.stdout.trim().split('\n');
      const banner = JSON.parse(bannerLine ?? '') as { subscribed: boolean };
      const { load } = JSON.parse(reportLine ?? '') as { load: LoadReport };
      assert.equal(banner.subscribed, true);
      assert.equal(load.sent, 20);
      assert.equal(load.acked, 20);
      assert.equal(messagesIn(receiver.posts()).length, 20);
      assert.ok(receiver.posts().every((p) => p.signatureValid));

      const refused = await runCli(
        ['emulator', '--port', '0', '--callback', receiver.url, '--load', '5', '--json'],
        {},
      );
      assert.equal(refused.code, 1, 'a random verify token fails the handshake');
      assert.match(refused.stderr, /handshake/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await receiver.close();
    }
  });
});

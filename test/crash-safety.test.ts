import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { startEmulator } from '../src/features/whatsapp/emulator/index.ts';
import { createDb } from '../src/db/create-db.ts';
import { runCli } from './support/cli.ts';
import { databaseTargets, tempDir } from './support/targets.ts';

const main = path.resolve(import.meta.dirname, '../src/main.ts');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function startServerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'serve'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`server exited early (${code})`)));
  });
}

for (const target of databaseTargets()) {
  describe(`crash safety (${target.name})`, () => {
    const dataDir = tempDir(`crash-${target.name}`);
    const env: Record<string, string> = { ...target.environment(dataDir), CHATVAULT_LOG_LEVEL: 'warn' };
    let child: ChildProcess | undefined;
    after(async () => {
      child?.kill('SIGKILL');
      await target.cleanup(env);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test('kill -9 during 1,000 messages/s: after the retries every message is stored exactly once', async () => {
      const emulator = await startEmulator({
        appSecret: 'crash-app-secret-0123456789',
        accessToken: 'crash-access-token-0123456789',
        verifyToken: 'crash-verify-token',
        seed: 3,
        retry: { baseMs: 200, maxDelayMs: 2000 },
      });
      try {
        const port = await freePort();
        Object.assign(env, { CHATVAULT_PORT: String(port), CHATVAULT_GRAPH_API_BASE: emulator.url });
        assert.equal((await runCli(['init', '--auto-unseal', '--json'], env)).code, 0);
        assert.equal((await runCli(['tenant', 'create', '--slug', 'shop', '--name', 'Shop'], env)).code, 0);
        const configFile = path.join(dataDir, 'channel.json');
        fs.writeFileSync(configFile, JSON.stringify(emulator.channel), { mode: 0o600 });
        const added = await runCli(
          ['channel', 'add', '--tenant', 'shop', '--config', configFile, '--json'],
          env,
        );
        assert.equal(added.code, 0, added.stderr);
        const { webhookPath } = JSON.parse(added.stdout) as { webhookPath: string };

        child = await startServerProcess(env);
        emulator.setCallback(`http://127.0.0.1:${port}${webhookPath}`, emulator.channel.verifyToken);
        assert.equal(await emulator.subscribe(), true);
        const run = emulator.startLoad({ rate: 1000, seconds: 4, batch: 1 });
        await new Promise((r) => setTimeout(r, 1500));
        child.kill('SIGKILL');
        await new Promise((r) => setTimeout(r, 500));
        child = await startServerProcess(env);
        const report = await run.done;
        await emulator.flush();
        assert.equal(report.dropped, 0);
        assert.ok(report.retried > 0, 'the crash forced retries');
        assert.ok(report.sent >= 3000, `load ran: ${report.sent} messages`);

        child.kill('SIGTERM');
        await new Promise((r) => child!.once('exit', r));
        child = undefined;
        const handle = await createDb(loadConfig(env));
        try {
          const stored = await handle.db
            .selectFrom('messages')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            // Inbound only: "Stop promotions" quick replies in the load are confirmed by a reply.
            .where('direction', '=', 'inbound')
            .executeTakeFirstOrThrow();
          assert.equal(Number(stored.n), report.sent);
        } finally {
          await handle.close();
        }
      } finally {
        await emulator.close();
      }
    });
  });
}

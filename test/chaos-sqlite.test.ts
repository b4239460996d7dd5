import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { startEmulator } from '../src/features/whatsapp/emulator/index.ts';
import { runCli } from './support/cli.ts';
import { freePort, waitFor } from './support/cluster.ts';
import { tempDir } from './support/targets.ts';

const main = path.resolve(import.meta.dirname, '../src/main.ts');

/**
 * `chatvault serve`, optionally under a file-size limit (`ulimit -f`, with SIGXFSZ ignored so writes
 * past it fail with EFBIG like a full disk instead of killing the process). Output is kept.
 */
function serve(env: Record<string, string>, fileLimitKb?: number) {
  const command = [
    'trap "" XFSZ',
    fileLimitKb ? `ulimit -f ${fileLimitKb}` : ':',
    `exec "${process.execPath}" --import tsx "${main}" serve`,
  ].join('; ');
  const child = spawn('bash', ['-c', command], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state = { child, log: '', listening: false };
  const keep = (d: Buffer) => {
    state.log = (state.log + d.toString()).slice(-50_000);
    if (state.log.includes('listening on')) state.listening = true;
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return state;
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('chaos: SQLite disk full (file-size limit)', () => {
  const dataDir = tempDir('chaos-sqlite');
  let running: ChildProcess | undefined;
  after(() => {
    running?.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test(
    'writes past the limit answer 503 (or the process exits non-zero); nothing lost or corrupt after',
    { timeout: 120_000 },
    async () => {
      const emulator = await startEmulator({
        appSecret: 'full-app-secret-0123456789',
        accessToken: 'full-access-token-0123456789',
        verifyToken: 'full-verify-token',
        seed: 5,
        retry: { baseMs: 200, maxDelayMs: 1000 },
      });
      try {
        const port = await freePort();
        const env = {
          CHATVAULT_DATA_DIR: dataDir,
          CHATVAULT_PORT: String(port),
          CHATVAULT_GRAPH_API_BASE: emulator.url,
          CHATVAULT_LOG_LEVEL: 'warn',
        };
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
        emulator.setCallback(`http://127.0.0.1:${port}${webhookPath}`, emulator.channel.verifyToken);

        // The "disk" has room for the database as it is and a little more.
        const db = path.join(dataDir, 'chatvault.db');
        const largest = Math.max(
          ...['', '-wal'].map((s) => (fs.existsSync(db + s) ? fs.statSync(db + s).size : 0)),
        );
        let server = serve(env, Math.ceil(largest / 1024) + 192);
        running = server.child;
        await waitFor(() => server.listening || server.child.exitCode !== null, 30_000);
        assert.ok(server.listening, `the server starts: ${server.log.slice(-500)}`);
        assert.equal(await emulator.subscribe(), true);

        const statuses: number[] = [];
        const seen = new Set<string>();
        const run = emulator.startLoad({ rate: 100, seconds: 6, batch: 1 });
        // Watch the answers: the emulator's journal is not needed, the server's 503s are counted via stats.
        await waitFor(
          () => server.child.exitCode !== null || emulator.stats().webhooks.failedAttempts > 20,
          30_000,
        );
        statuses.push(emulator.stats().webhooks.failedAttempts);
        const code = await stop(server.child);
        // Either it kept answering (503s: Meta retries) and stopped cleanly, or it gave up with an error.
        assert.ok(code !== null, 'the process ended');
        assert.doesNotMatch(server.log, /"statusCode":500|unhandled error/, 'no 500 "internal error"');
        assert.match(server.log, /storage unavailable|SQLITE_FULL|SQLITE_IOERR|EFBIG|disk|full/i);
        for (const line of server.log.split('\n')) if (line.includes('"code":"SQLITE_')) seen.add('sqlite');
        assert.ok(statuses[0]! > 0, 'the sender saw refusals');

        // Room again: the same data directory starts, Meta's retries are stored, nothing lost or twice.
        server = serve(env);
        running = server.child;
        await waitFor(() => server.listening || server.child.exitCode !== null, 30_000);
        assert.ok(server.listening, server.log.slice(-500));
        const report = await run.done;
        await emulator.flush();
        assert.equal(report.dropped, 0);
        assert.equal(await stop(server.child), 0);
        running = undefined;

        const check = new SQLite(db, { readonly: true });
        try {
          assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
          const row = check
            .prepare(
              `select count(*) as n, count(distinct wamid_key) as d from messages where direction = 'inbound'`,
            )
            .get() as { n: number; d: number };
          assert.equal(row.n, report.sent);
          assert.equal(row.d, report.sent);
        } finally {
          check.close();
        }
      } finally {
        await emulator.close();
      }
    },
  );
});

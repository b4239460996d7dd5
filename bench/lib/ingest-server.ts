// Starts ChatVault for the ingest suite the way production does, in its own process: the CLI sets up a
// tenant and a channel (`tenant create`, `channel add`), then `chatvault serve` runs with the default
// configuration. The load generator stays in the bench process, so the server's event loop is measured
// on its own. With `plain`, the same server runs with encryption switched off (see plain-crypto.ts).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const thisCheckout = path.resolve(import.meta.dirname, '../..');
const plainCrypto = path.join(import.meta.dirname, 'plain-crypto.ts');

export interface IngestServer {
  readonly url: string;
  readonly path: string;
  readonly pid: number;
  readonly dataDir: string;
  /** CPU time (user + system) the server process has used so far, in milliseconds. */
  cpuMs(): number;
  /**
   * Milliseconds the server's main thread has spent so far on a CPU, and ready to run but waiting for
   * one (other processes on the machine); NaN where /proc is missing.
   */
  mainThread(): { onCpuMs: number; waitingMs: number };
  close(): Promise<void>;
}

export interface IngestServerOptions {
  readonly appSecret: string;
  readonly phoneNumberId: string;
  readonly wabaId: string;
  /** Extra `CHATVAULT_*` settings, e.g. a PostgreSQL URL and schema. */
  readonly env?: Record<string, string>;
  /** The bench-only baseline: AES-GCM replaced by a copy, everything else unchanged. */
  readonly plain?: boolean;
  /** Writes a V8 CPU profile of the server into this directory. */
  readonly profileDir?: string;
  /** More node options for the server process only (diagnostics, e.g. `--import ./probe.ts`). */
  readonly serverNodeArgs?: readonly string[];
  /** Another ChatVault checkout to run (to compare with an earlier version); this one by default. */
  readonly root?: string;
  /** Use this (empty) data directory and keep it on close (the soak's leak scan reads it); a temp one otherwise. */
  readonly dataDir?: string;
  /** Receives everything the server process writes (stdout and stderr); dropped otherwise. */
  readonly output?: (chunk: Buffer) => void;
}

export async function startIngestServer(options: IngestServerOptions): Promise<IngestServer> {
  const root = options.root ?? thisCheckout;
  const main = path.join(root, 'src/main.ts');
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-bench-ingest-'));
  const port = await freePort();
  const env = {
    ...withoutChatVaultSettings(process.env),
    CHATVAULT_DATA_DIR: dataDir,
    CHATVAULT_PORT: String(port),
    ...options.env,
  };
  const nodeArgs = ['--import', 'tsx', ...(options.plain ? ['--import', plainCrypto] : [])];
  const cli = async (...args: string[]) =>
    (await run(process.execPath, [...nodeArgs, main, ...args], { env, cwd: root })).stdout;

  await cli('init', '--shares', '3', '--threshold', '2', '--auto-unseal');
  await cli('tenant', 'create', '--slug', 'bench', '--name', 'Bench', '--expected-contacts', '100000');
  const channelFile = path.join(dataDir, 'channel.json');
  fs.writeFileSync(
    channelFile,
    JSON.stringify({
      appSecret: options.appSecret,
      verifyToken: 'bench-verify-token',
      accessToken: 'bench-access-token-0123456789',
      phoneNumberId: options.phoneNumberId,
      wabaId: options.wabaId,
    }),
  );
  const added = JSON.parse(
    await cli('channel', 'add', '--tenant', 'bench', '--config', channelFile, '--json'),
  ) as { webhookPath: string };

  const profile = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : [];
  const serverArgs = [...profile, ...(options.serverNodeArgs ?? []), ...nodeArgs, main, 'serve'];
  const child = spawn(process.execPath, serverArgs, {
    env,
    cwd: root,
    // The server's log lines are read and dropped, as a log shipper would read them.
    stdio: ['ignore', 'pipe', options.output ? 'pipe' : 'inherit'],
  });
  if (options.output) {
    child.stdout!.on('data', options.output);
    child.stderr?.on('data', options.output);
  } else child.stdout!.resume();
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url, child);
  return {
    url,
    path: added.webhookPath,
    pid: child.pid!,
    dataDir,
    cpuMs: () => processCpuMs(child.pid!),
    mainThread: () => schedStat(child.pid!),
    async close() {
      await stop(child);
      const target = options.env?.CHATVAULT_DATABASE_URL;
      const schema = options.env?.CHATVAULT_DATABASE_SCHEMA;
      if (target && schema) await dropSchema(target, schema);
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The bench's own environment minus any CHATVAULT_* setting, so only the options above apply. */
function withoutChatVaultSettings(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] => !e[0].startsWith('CHATVAULT_') && e[1] !== undefined,
    ),
  );
}

/** utime + stime of a process from /proc (Linux), in milliseconds; NaN where /proc is missing. */
function processCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

function schedStat(pid: number): { onCpuMs: number; waitingMs: number } {
  try {
    const [onCpu, waiting] = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
    return { onCpuMs: onCpu! / 1e6, waitingMs: waiting! / 1e6 };
  } catch {
    return { onCpuMs: Number.NaN, waitingMs: Number.NaN };
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/readyz`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not become ready within 60 s');
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return; // already gone (or crashed)
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import {
  startEmulator,
  type Emulator,
  type EmulatorOptions,
} from '../../src/features/whatsapp/emulator/index.ts';
import { localPaths } from '../../src/features/keys/local-provider.ts';
import { runCli } from './cli.ts';
import { tempDir } from './targets.ts';

/**
 * Several real `chatvault serve` processes on one PostgreSQL schema behind a real nginx (Debian
 * package), all on loopback and in one temp directory: nginx's config, pid, logs and temp files live
 * there, so nothing needs root-owned paths. Each process has a data directory of its own (its control
 * socket) holding a copy of the same root key file, as a deployment would provision each machine.
 */

const main = path.resolve(import.meta.dirname, '../../src/main.ts');
export const NGINX = '/usr/sbin/nginx';
/** How long a process may take to start listening, and to stop on SIGTERM, before the test gives up. */
const START_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 20_000;

/** Why the cluster tests cannot run here, or undefined when they can. */
export function clusterUnavailable(): string | undefined {
  if (!process.env.CHATVAULT_TEST_DATABASE_URL) return 'needs PostgreSQL (CHATVAULT_TEST_DATABASE_URL)';
  if (!fs.existsSync(NGINX)) return 'needs nginx (apt-get install nginx)';
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface ClusterProcess {
  readonly index: number;
  readonly port: number;
  readonly dataDir: string;
  readonly env: Record<string, string>;
  child: ChildProcess | undefined;
  /** The tail of what the process logged (warnings and errors at the test log level; no personal data). */
  log: string;
}

export interface ClusterOptions {
  readonly label: string;
  readonly processes: number;
  /** The URL ChatVault connects to (a fault-injecting proxy, say); the schema is made through the real one. */
  readonly databaseUrl?: (realUrl: string) => string;
  /** Extra environment for process i (clock offset, log level…). */
  readonly envFor?: (index: number) => Record<string, string>;
  readonly emulator?: Partial<EmulatorOptions>;
}

export interface Cluster {
  /** nginx's address: what Meta and the operators talk to. */
  readonly url: string;
  readonly emulator: Emulator;
  readonly processes: ClusterProcess[];
  readonly webhookPath: string;
  /** The environment shared by every process (database, schema) for CLI commands and direct queries. */
  readonly env: Record<string, string>;
  readonly schema: string;
  readonly realDatabaseUrl: string;
  readonly dir: string;
  start(index: number): Promise<void>;
  kill(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** Runs a query on the cluster's schema through the real database (not the proxy). */
  query<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const realUrl = process.env.CHATVAULT_TEST_DATABASE_URL!;
  const dir = tempDir(`cluster-${options.label}`);
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const emulator = await startEmulator({
    appSecret: 'cluster-app-secret-0123456789',
    accessToken: 'cluster-access-token-0123456789',
    verifyToken: 'cluster-verify-token',
    seed: 12,
    retry: { baseMs: 200, maxDelayMs: 2000 },
    ...options.emulator,
  });
  const env: Record<string, string> = {
    CHATVAULT_DATABASE_URL: options.databaseUrl ? options.databaseUrl(realUrl) : realUrl,
    CHATVAULT_DATABASE_SCHEMA: schema,
    CHATVAULT_GRAPH_API_BASE: emulator.url,
    CHATVAULT_LOG_LEVEL: 'warn',
  };
  const processes: ClusterProcess[] = [];
  let nginx: ChildProcess | undefined;
  const cluster: Cluster = {
    url: '',
    emulator,
    processes,
    webhookPath: '',
    env,
    schema,
    realDatabaseUrl: realUrl,
    dir,
    start: (index) => startProcess(processes[index]!),
    async kill(index, signal = 'SIGKILL') {
      const p = processes[index]!;
      const child = p.child;
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      // A graceful stop that hangs must not hang the test run: kill it after a grace period.
      const force = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(force);
      p.child = undefined;
    },
    async query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
      const client = new pg.Client({ connectionString: realUrl, options: `-c search_path="${schema}"` });
      await client.connect();
      try {
        return (await client.query<T>(text, values)).rows;
      } finally {
        await client.end();
      }
    },
    async stop() {
      await Promise.all(processes.map((_, i) => cluster.kill(i, 'SIGTERM')));
      if (nginx && nginx.exitCode === null) {
        const exited = new Promise((r) => nginx!.once('exit', r));
        nginx.kill('SIGQUIT');
        await exited;
      }
      await emulator.close();
      const admin = new pg.Client({ connectionString: realUrl });
      await admin.connect();
      try {
        await admin.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await admin.end();
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    // One data directory initialised the usual way (migrations, keys, tenant, channel)…
    const seedDir = path.join(dir, 'seed');
    const seedEnv = { ...env, CHATVAULT_DATABASE_URL: realUrl, CHATVAULT_DATA_DIR: seedDir };
    await cliOk(['init', '--auto-unseal', '--json'], seedEnv);
    await cliOk(['tenant', 'create', '--slug', 'shop', '--name', 'Shop'], seedEnv);
    const configFile = path.join(dir, 'channel.json');
    fs.writeFileSync(configFile, JSON.stringify(emulator.channel), { mode: 0o600 });
    const added = await cliOk(
      ['channel', 'add', '--tenant', 'shop', '--config', configFile, '--json'],
      seedEnv,
    );
    fs.rmSync(configFile);
    const webhookPath = (JSON.parse(added) as { webhookPath: string }).webhookPath;

    // …then one per process, with a copy of the same keys.
    for (let i = 0; i < options.processes; i++) {
      const dataDir = path.join(dir, `node${i}`);
      fs.cpSync(localPaths(seedDir).dir, localPaths(dataDir).dir, { recursive: true });
      fs.chmodSync(dataDir, 0o700);
      // State that is not in the database must be shared by every process: the crypto-shredding
      // secrets (customer keys are bound to them) and the blob store (media). One machine: a shared
      // directory; several machines: a shared file system (README "Running several processes").
      for (const shared of ['shred', 'blobs']) {
        fs.mkdirSync(path.join(seedDir, shared), { recursive: true, mode: 0o700 });
        fs.symlinkSync(path.join(seedDir, shared), path.join(dataDir, shared));
      }
      const port = await freePort();
      processes.push({
        index: i,
        port,
        dataDir,
        env: { ...env, ...options.envFor?.(i), CHATVAULT_DATA_DIR: dataDir, CHATVAULT_PORT: String(port) },
        child: undefined,
        log: '',
      });
    }
    const nginxPort = await freePort();
    const url = `http://127.0.0.1:${nginxPort}`;
    for (const p of processes) p.env.CHATVAULT_PUBLIC_URL = url;
    await Promise.all(processes.map((p) => startProcess(p)));
    nginx = startNginx(dir, nginxPort, processes);
    await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200, 15_000);
    Object.assign(cluster, { url, webhookPath });
    emulator.setCallback(`${url}${webhookPath}`, emulator.channel.verifyToken);
    if (!(await emulator.subscribe())) throw new Error('the emulator could not subscribe through nginx');
    return cluster;
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    throw error;
  }
}

async function cliOk(args: string[], env: Record<string, string>): Promise<string> {
  const r = await runCli(args, env);
  if (r.code !== 0) throw new Error(`chatvault ${args[0]} failed (${r.code}): ${r.stderr.slice(0, 500)}`);
  return r.stdout;
}

function startProcess(p: ClusterProcess): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'serve'], {
    env: { PATH: process.env.PATH ?? '', ...p.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  p.child = child;
  const keep = (d: Buffer) => (p.log = (p.log + d.toString()).slice(-20_000));
  child.stderr.on('data', keep);
  return new Promise((resolve, reject) => {
    let out = '';
    const onExit = (code: number | null) => {
      clearTimeout(slow);
      reject(new Error(`chatvault serve ${p.index} exited early (${code}): ${p.log.slice(-1000)}`));
    };
    // A start that never reaches "listening" fails with what the process said, instead of hanging.
    const slow = setTimeout(() => {
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(
        new Error(
          `chatvault serve ${p.index} did not listen within ${START_TIMEOUT_MS} ms: ${p.log.slice(-2000)}`,
        ),
      );
    }, START_TIMEOUT_MS);
    child.once('exit', onExit);
    child.stdout.on('data', (d: Buffer) => {
      keep(d);
      if (out.includes('listening on')) return;
      out += d.toString();
      if (out.includes('listening on')) {
        clearTimeout(slow);
        child.off('exit', onExit);
        resolve();
      }
    });
  });
}

/** The nginx config a multi-process deployment uses (see README "Running several processes"). */
export function nginxConfig(dir: string, port: number, upstreams: readonly number[]): string {
  const user = process.getuid?.() === 0 ? 'user root root;\n' : '';
  return `${user}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log ${dir}/nginx-access.log;
  client_body_temp_path ${dir}/nginx-body;
  proxy_temp_path ${dir}/nginx-proxy;
  fastcgi_temp_path ${dir}/nginx-fastcgi;
  uwsgi_temp_path ${dir}/nginx-uwsgi;
  scgi_temp_path ${dir}/nginx-scgi;
  upstream chatvault {
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n')}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 16m;
    location / {
      proxy_pass http://chatvault;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # A process that died mid-request: try the other one (webhook ingest is idempotent).
      proxy_next_upstream error timeout non_idempotent;
      proxy_next_upstream_tries 2;
      proxy_connect_timeout 2s;
    }
    location = /api/v1/events {
      proxy_pass http://chatvault;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_read_timeout 1h;
      # Tests only: which process answered, so they can ingest on the other one.
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`;
}

function startNginx(dir: string, port: number, processes: readonly ClusterProcess[]): ChildProcess {
  return launchNginx(
    dir,
    port,
    processes.map((p) => p.port),
  );
}

/** Starts nginx in the foreground with its config, pid, logs and temp files in `dir`. */
export function launchNginx(dir: string, port: number, upstreams: readonly number[]): ChildProcess {
  fs.mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, nginxConfig(dir, port, upstreams));
  const test = spawnSync(NGINX, ['-t', '-q', '-p', dir, '-e', path.join(dir, 'nginx-error.log'), '-c', conf]);
  if (test.status !== 0) throw new Error(`nginx config refused: ${test.stderr.toString().slice(0, 500)}`);
  return spawn(NGINX, ['-p', dir, '-e', path.join(dir, 'nginx-error.log'), '-c', conf, '-g', 'daemon off;'], {
    stdio: 'ignore',
  });
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A cookie-keeping HTTP client over the real network (through nginx), like the console's fetches. */
export class HttpClient {
  readonly cookies = new Map<string, string>();
  csrf: string | undefined;
  constructor(readonly base: string) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { ...extra };
    if (this.cookies.size > 0) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (this.csrf) h['x-csrf-token'] = this.csrf;
    return h;
  }

  async request(method: string, url: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(this.base + url, {
      method,
      headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      const value = pair!.slice(eq + 1);
      if (value === '' || /Max-Age=0/.test(cookie)) this.cookies.delete(pair!.slice(0, eq));
      else this.cookies.set(pair!.slice(0, eq), value);
    }
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    const token = (json as { csrfToken?: unknown } | undefined)?.csrfToken;
    if (typeof token === 'string') this.csrf = token;
    return { status: res.status, json };
  }

  async ok(method: string, url: string, body?: unknown): Promise<unknown> {
    const r = await this.request(method, url, body);
    if (r.status >= 300)
      throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
    return r.json;
  }
}

export interface ClusterOperator {
  readonly id: string;
  readonly email: string;
  readonly password: string;
  readonly seed: Buffer;
  readonly recoveryCodes: string[];
}

/**
 * An operator enrolled over HTTP through nginx (invitation made in-process, as the CLI would), trained.
 * Signing in again uses a recovery code, so no test waits for the next TOTP step.
 */
export async function enrollOperator(
  cluster: Cluster,
  email: string,
  role: 'owner' | 'agent' = 'owner',
  base = cluster.url,
): Promise<ClusterOperator> {
  return enrollOperatorAt(
    {
      url: base,
      env: { ...cluster.env, CHATVAULT_DATABASE_URL: cluster.realDatabaseUrl },
      dataDir: path.join(cluster.dir, 'seed'),
    },
    email,
    role,
  );
}

/** A running server (one process or a cluster's front end) and a data directory with its keys. */
export interface ServerTarget {
  readonly url: string;
  /** Database settings (URL and schema on PostgreSQL; nothing on SQLite). */
  readonly env: Record<string, string>;
  readonly dataDir: string;
  /** The tenant operators are enrolled in ('shop' unless told). */
  readonly tenant?: string;
}

/** {@link enrollOperator} against any server: the invitation is made in a runtime on `dataDir`. */
export async function enrollOperatorAt(
  target: ServerTarget,
  email: string,
  role: 'owner' | 'agent' = 'owner',
): Promise<ClusterOperator> {
  const base = target.url;
  const { createRuntime } = await import('../../src/runtime.ts');
  const { loadConfig } = await import('../../src/config.ts');
  const { createLogger } = await import('../../src/lib/logger.ts');
  const { systemClock } = await import('../../src/lib/clock.ts');
  const { invite } = await import('./auth.ts');
  const { recordTraining } = await import('./browser.ts');
  const { seedFromBase32, totpCode } = await import('../../src/features/auth/totp.ts');
  const runtime = await createRuntime(loadConfig({ ...target.env, CHATVAULT_DATA_DIR: target.dataDir }), {
    logger: createLogger('silent'),
    clock: systemClock,
  });
  try {
    runtime.provider.autoUnseal();
    const tenant = await runtime.tenants.getBySlug(target.tenant ?? 'shop');
    const { token, operator } = await invite(runtime, tenant, email, role);
    const password = 'correct horse battery staple 42';
    const c = new HttpClient(base);
    await c.ok('POST', '/api/v1/auth/enroll/start', { token });
    await c.ok('POST', '/api/v1/auth/enroll/password', { password });
    const { secret } = (await c.ok('POST', '/api/v1/auth/enroll/totp', {})) as { secret: string };
    const seed = seedFromBase32(secret);
    await c.ok('POST', '/api/v1/auth/enroll/totp/confirm', { code: totpCode(seed, new Date()) });
    const done = (await c.ok('POST', '/api/v1/auth/enroll/finish', {})) as { recoveryCodes: string[] };
    await recordTraining(runtime, tenant, operator.id);
    await runtime.audit.sequence();
    return { id: operator.id, email, password, seed, recoveryCodes: done.recoveryCodes };
  } finally {
    await runtime.close();
  }
}

/** Password then a recovery code, through `base` (nginx or one process directly). */
export async function signInOperator(
  base: string,
  who: ClusterOperator,
  tenant = 'shop',
): Promise<HttpClient> {
  const c = new HttpClient(base);
  await c.ok('POST', '/api/v1/auth/login', { tenant, email: who.email, password: who.password });
  await c.ok('POST', '/api/v1/auth/mfa/recovery', { code: who.recoveryCodes.shift() });
  return c;
}

export interface SseStream {
  readonly events: { event: string; data: unknown; at: number }[];
  /** The process (loopback port) nginx connected the stream to. */
  readonly upstreamPort: number;
  waitFor(
    pred: (e: { event: string; data: unknown; at: number }) => boolean,
    timeoutMs: number,
  ): Promise<number>;
  close(): void;
}

/** Opens the console's live feed (`GET /api/v1/events`) as the browser's EventSource would. */
export async function openEvents(client: HttpClient, url = '/api/v1/events'): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(client.base + url, { headers: client.headers(), signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`events: ${res.status}`);
  const events: SseStream['events'] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as unknown, at: Date.now() });
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    events,
    upstreamPort: Number(/:(\d+)$/.exec(res.headers.get('x-upstream') ?? '')?.[1] ?? 0),
    async waitFor(pred, timeoutMs) {
      const start = Date.now();
      await waitFor(() => events.some(pred), timeoutMs);
      return events.find(pred)!.at - start;
    },
    close: () => abort.abort(),
  };
}

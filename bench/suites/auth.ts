// Operator sign-in end to end over HTTP on a real listening server (SQLite): password (argon2id,
// m=19456 KiB, t=2, p=1) then TOTP, one at a time for the median, and 20 at once while the event
// loop's longest stall is measured: hashing must run on the thread pool, never block the loop.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { initLocalKeys } from '../../src/features/keys/local-provider.ts';
import { seedFromBase32, totpCode } from '../../src/features/auth/totp.ts';
import type { Clock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createRuntime } from '../../src/runtime.ts';
import { percentile } from '../lib/timing.ts';
import type { BenchSuite } from '../lib/suite.ts';

const OPERATORS = 20;
const SEQUENTIAL = 60;
const ROUNDS = 5;
const PASSWORD = 'saffron-lattice-harbor-29';

/** Real time plus an offset the benchmark moves by one TOTP step per sign-in round. */
let offset = 0;
const clock: Clock = { now: () => new Date(Date.now() + offset) };
const nextStep = () => (offset += 30_000);

/** A minimal cookie-keeping HTTP client on fetch, as a browser console would behave. */
function client(base: string) {
  const cookies = new Map<string, string>();
  let csrf: string | undefined;
  return async (pathname: string, body: unknown): Promise<Record<string, unknown>> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (cookies.size > 0) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (csrf) headers['x-csrf-token'] = csrf;
    const res = await fetch(base + pathname, { method: 'POST', headers, body: JSON.stringify(body) });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const json = (res.status === 204 ? {} : await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${pathname}: ${res.status}`);
    if (typeof json.csrfToken === 'string') csrf = json.csrfToken;
    return json;
  };
}

async function signIn(base: string, email: string, seed: Buffer): Promise<number> {
  const started = performance.now();
  const call = client(base);
  await call('/api/v1/auth/login', { tenant: 'bench', email, password: PASSWORD });
  await call('/api/v1/auth/mfa/totp', { code: totpCode(seed, clock.now()) });
  return performance.now() - started;
}

const suite: BenchSuite = {
  name: 'auth',
  async run() {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-bench-auth-'));
    await initLocalKeys(dataDir, { shares: 5, threshold: 3, now: new Date(), autoUnseal: true });
    const config = loadConfig({ CHATVAULT_DATA_DIR: dataDir, CHATVAULT_LOG_LEVEL: 'warn' });
    const runtime = await createRuntime(config, { logger: createLogger('warn'), clock });
    runtime.provider.autoUnseal();
    const app = buildApp(runtime);
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const tenant = await runtime.tenants.create({ slug: 'bench', name: 'Bench' });
      const seeds: Buffer[] = [];
      for (let i = 0; i < OPERATORS; i++) {
        const { link } = await runtime.auth.enrollment.createOperator(
          tenant,
          { email: `op${i}@bench.test`, role: 'agent' },
          { type: 'cli', id: 'bench' },
          {},
        );
        const call = client(base);
        await call('/api/v1/auth/enroll/start', { token: new URL(link.url).hash.slice('#token='.length) });
        await call('/api/v1/auth/enroll/password', { password: PASSWORD });
        const seed = seedFromBase32((await call('/api/v1/auth/enroll/totp', {})).secret as string);
        await call('/api/v1/auth/enroll/totp/confirm', { code: totpCode(seed, clock.now()) });
        await call('/api/v1/auth/enroll/finish', {});
        seeds.push(seed);
      }
      nextStep();

      const sequential: number[] = [];
      for (let k = 0; k < SEQUENTIAL; k++) {
        const i = k % OPERATORS;
        if (i === 0 && k > 0) nextStep();
        sequential.push(await signIn(base, `op${i}@bench.test`, seeds[i]!));
      }

      let maxBlock = 0;
      const concurrent: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        nextStep();
        const histogram = monitorEventLoopDelay({ resolution: 1 });
        histogram.enable();
        const times = await Promise.all(seeds.map((seed, i) => signIn(base, `op${i}@bench.test`, seed)));
        histogram.disable();
        maxBlock = Math.max(maxBlock, histogram.max / 1e6);
        concurrent.push(...times);
      }
      return {
        'auth.login_p50_ms': percentile(sequential, 50),
        'auth.login_p99_ms': percentile(sequential, 99),
        'auth.concurrent20_login_p50_ms': percentile(concurrent, 50),
        'auth.event_loop_max_block_ms': maxBlock,
      };
    } finally {
      await app.close();
      await runtime.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

export default suite;

// Operator sign-in end to end over HTTP on a real listening server (SQLite): password (argon2id,
// m=19456 KiB, t=2, p=1) then TOTP, one at a time for the median, and 20 at once while the server's
// event loop's longest stall is measured: hashing must run on the thread pool, never block the loop.
// The clients run in a child process, as browsers would be elsewhere.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fork, type ChildProcess } from 'node:child_process';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { initLocalKeys } from '../../src/features/keys/local-provider.ts';
import { seedFromBase32, totpCode } from '../../src/features/auth/totp.ts';
import { client, type SignInJob } from '../lib/auth-clients.ts';
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

/** Runs one sign-in job in the client process; resolves with each sign-in's duration (ms). */
function signInAll(clients: ChildProcess, job: SignInJob): Promise<number[]> {
  return new Promise((resolve, reject) => {
    clients.once('message', (answer: { times?: number[]; error?: string }) =>
      answer.times ? resolve(answer.times) : reject(new Error(`sign-in failed: ${answer.error}`)),
    );
    clients.send(job);
  });
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

    const clients = fork(new URL('../lib/auth-clients-process.ts', import.meta.url), {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
    });
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

      const logins = seeds.map((seed, i) => ({ email: `op${i}@bench.test`, seed }));
      const job = (concurrent: boolean): SignInJob => {
        nextStep(); // each operator signs in once per TOTP step (codes are single-use)
        return { base, tenant: 'bench', password: PASSWORD, atMs: clock.now().getTime(), logins, concurrent };
      };

      const sequential: number[] = [];
      for (let k = 0; k < SEQUENTIAL / OPERATORS; k++)
        sequential.push(...(await signInAll(clients, job(false))));

      let maxBlock = 0;
      const concurrent: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const next = job(true);
        const histogram = monitorEventLoopDelay({ resolution: 1 });
        histogram.enable();
        const times = await signInAll(clients, next);
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
      clients.kill();
      await app.close();
      await runtime.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

export default suite;

import fs from 'node:fs';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.ts';
import { systemClock, type Clock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { initLocalKeys } from '../../src/features/keys/local-provider.ts';
import { createRuntime, type Runtime } from '../../src/runtime.ts';
import { tempDir, type DbTarget } from './targets.ts';

export interface TestRuntime {
  readonly runtime: Runtime;
  readonly dataDir: string;
  readonly shares: string[];
  readonly env: Record<string, string>;
  /** Every log line the runtime wrote. */
  readonly logs: string[];
  close(): Promise<void>;
}

/** A real runtime on a fresh data directory and database, initialised 3-of-5 and unsealed. */
export async function startTestRuntime(
  target: DbTarget,
  options: { clock?: Clock; autoUnseal?: boolean; env?: Record<string, string> } = {},
): Promise<TestRuntime> {
  const dataDir = tempDir(target.name);
  const env = target.environment(dataDir);
  const { shares } = await initLocalKeys(dataDir, {
    shares: 5,
    threshold: 3,
    now: new Date(),
    autoUnseal: options.autoUnseal ?? true,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const config = loadConfig({ ...env, ...options.env, CHATVAULT_LOG_LEVEL: 'debug' });
  const runtime = await createRuntime(config, {
    logger: createLogger('debug', sink),
    clock: options.clock ?? systemClock,
  });
  if (options.autoUnseal ?? true) runtime.provider.autoUnseal();
  return {
    runtime,
    dataDir,
    shares,
    env,
    logs,
    async close() {
      await runtime.close();
      await target.cleanup(env);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

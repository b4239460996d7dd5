// A real runtime for an in-process benchmark: a fresh data directory with local keys (auto-unseal),
// SQLite, warnings only. `close` stops it and removes the directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { initLocalKeys } from '../../src/features/keys/local-provider.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createRuntime } from '../../src/runtime.ts';

export async function startBenchRuntime(name: string) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `chatvault-bench-${name}-`));
  await initLocalKeys(dataDir, { shares: 3, threshold: 2, now: new Date(), autoUnseal: true });
  const runtime = await createRuntime(loadConfig({ CHATVAULT_DATA_DIR: dataDir }), {
    logger: createLogger('warn'),
    clock: systemClock,
  });
  runtime.provider.autoUnseal();
  return {
    runtime,
    dataDir,
    close: async (): Promise<void> => {
      await runtime.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

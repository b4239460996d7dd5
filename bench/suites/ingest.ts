// Webhook ingest over HTTP on loopback: a real listening server, signed deliveries of one text message
// each (Meta's worst case), signature checks, encryption and durable commits (group commit).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { initLocalKeys } from '../../src/features/keys/local-provider.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { metaJson, sign, textMessage, PHONE_NUMBER_ID, WABA_ID } from '../../test/support/meta.ts';
import { closedLoop, openLoop, type LoadRequest } from '../lib/http-load.ts';
import type { BenchSuite } from '../lib/suite.ts';
import { startPlainIngest } from './ingest-plain.ts';

const APP_SECRET = 'bench-app-secret-0123456789';
const CUSTOMERS = 5_000;

async function startIngestServer(
  env: Record<string, string>,
): Promise<{ server: RunningServer; path: string; cleanup: () => Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-bench-ingest-'));
  await initLocalKeys(dataDir, { shares: 3, threshold: 2, now: new Date(), autoUnseal: true });
  const config = loadConfig({
    CHATVAULT_DATA_DIR: dataDir,
    CHATVAULT_PORT: '0',
    CHATVAULT_LOG_LEVEL: 'warn',
    ...env,
  });
  const server = await startServer(config, () => undefined);
  const tenant = await server.runtime.tenants.create({
    slug: 'bench',
    name: 'Bench',
    expectedContacts: 100_000,
  });
  const channel = await server.runtime.channels.add(tenant, {
    appSecret: APP_SECRET,
    verifyToken: 'bench-verify-token',
    accessToken: 'bench-access-token-0123456789',
    phoneNumberId: PHONE_NUMBER_ID,
    wabaId: WABA_ID,
  });
  return {
    server,
    path: channel.webhookPath,
    async cleanup() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Delivery i: one text message from one of CUSTOMERS customers, with a unique wamid. */
function delivery(webhookPath: string, run: string) {
  return (i: number): LoadRequest => {
    const c = i % CUSTOMERS;
    const body = metaJson(
      textMessage(
        `86139${String(10_000_000 + c)}`,
        `Customer ${c}`,
        `wamid.${run}.${i}`,
        `Message ${i} from the bench`,
      ),
    );
    return {
      path: webhookPath,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, APP_SECRET) },
      body,
    };
  };
}

async function measure(env: Record<string, string>, withLatency: boolean) {
  const { server, path: webhookPath, cleanup } = await startIngestServer(env);
  const origin = server.url;
  try {
    await closedLoop(origin, delivery(webhookPath, 'warm'), { concurrency: 32, seconds: 2 });
    const sustained = await closedLoop(origin, delivery(webhookPath, 'max'), { concurrency: 64, seconds: 6 });
    const paced = withLatency
      ? await openLoop(origin, delivery(webhookPath, 'paced'), { rate: 1000, seconds: 5 })
      : undefined;
    return { sustained, paced };
  } finally {
    await cleanup();
  }
}

const suite: BenchSuite = {
  name: 'ingest',
  baselines: { 'ingest.msgs_per_s': ['ingest.plain_msgs_per_s'] },
  async run() {
    const plain = await startPlainIngest(APP_SECRET);
    let plainRate: number;
    try {
      await closedLoop(plain.url, delivery(plain.path, 'warm'), { concurrency: 32, seconds: 2 });
      plainRate = (await closedLoop(plain.url, delivery(plain.path, 'max'), { concurrency: 64, seconds: 6 }))
        .perSecond;
    } finally {
      await plain.close();
    }
    const sqlite = await measure({}, true);
    const metrics: Record<string, number> = {
      'ingest.msgs_per_s': sqlite.sustained.perSecond,
      'ingest.plain_msgs_per_s': plainRate,
      'ingest.p50_ms_at_1000': sqlite.paced!.p50,
      'ingest.p99_ms_at_1000': sqlite.paced!.p99,
      'ingest.errors': sqlite.sustained.errors + sqlite.paced!.errors,
    };
    const pg = process.env.CHATVAULT_BENCH_DATABASE_URL ?? process.env.CHATVAULT_TEST_DATABASE_URL;
    if (pg) {
      const schema = `bench_${Date.now()}`;
      const result = await measure({ CHATVAULT_DATABASE_URL: pg, CHATVAULT_DATABASE_SCHEMA: schema }, false);
      metrics['ingest.pg_msgs_per_s'] = result.sustained.perSecond;
    }
    return metrics;
  },
};

export default suite;

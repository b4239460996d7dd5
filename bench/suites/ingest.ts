// Webhook ingest over HTTP on loopback: ChatVault runs in its own process, started like production
// (`chatvault serve`, default configuration, a tenant and channel set up through the CLI); this process
// only generates the load: signed deliveries of one text message each (Meta's worst case). Signature
// checks, encryption and durable commits (group commit) all happen in the server.
//
// The baseline is the same server with encryption switched off (bench/lib/plain-crypto.ts) and
// nothing else changed. The two run side by side and are measured in alternating slices, so load
// from elsewhere on the machine hits both alike.
import { metaJson, sign, textMessage, PHONE_NUMBER_ID, WABA_ID } from '../../test/support/meta.ts';
import { closedLoop, openLoop, type LoadRequest } from '../lib/http-load.ts';
import { startIngestServer, type IngestServer } from '../lib/ingest-server.ts';
import type { BenchSuite } from '../lib/suite.ts';

const APP_SECRET = 'bench-app-secret-0123456789';
const CUSTOMERS = 5_000;
const CONCURRENCY = 64;
const SLICES = 3;
const SLICE_SECONDS = 2;
/** CHATVAULT_BENCH_PROFILE=DIR writes a V8 CPU profile of each server process into DIR. */
const profileDir = process.env.CHATVAULT_BENCH_PROFILE;

const start = (plain: boolean, env?: Record<string, string>) =>
  startIngestServer({
    appSecret: APP_SECRET,
    phoneNumberId: PHONE_NUMBER_ID,
    wabaId: WABA_ID,
    plain,
    env,
    profileDir,
  });

/** Delivery i: one text message from one of CUSTOMERS customers, with a unique wamid. */
function delivery(server: IngestServer, run: string) {
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
      path: server.path,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, APP_SECRET) },
      body,
    };
  };
}

/** Closed-loop throughput of each server, measured in alternating slices; errors summed. */
async function sustained(servers: readonly IngestServer[]) {
  const totals = servers.map(() => ({ done: 0, seconds: 0, errors: 0, cpuMs: 0, waitingMs: 0 }));
  // Warm-up: one message from every customer, so the measured deliveries come from known customers
  // (the steady state) whatever the throughput; the first message of a customer also creates it.
  for (const server of servers) {
    await closedLoop(server.url, delivery(server, 'warm'), {
      concurrency: 32,
      seconds: 60,
      requests: CUSTOMERS,
    });
  }
  for (let slice = 0; slice < SLICES; slice++) {
    for (const [k, server] of servers.entries()) {
      const cpu = server.cpuMs();
      const waiting = server.mainThread().waitingMs;
      const r = await closedLoop(server.url, delivery(server, `max${slice}`), {
        concurrency: CONCURRENCY,
        seconds: SLICE_SECONDS,
      });
      const t = totals[k]!;
      t.cpuMs += server.cpuMs() - cpu;
      t.waitingMs += server.mainThread().waitingMs - waiting;
      t.done += r.done;
      t.seconds += r.seconds;
      t.errors += r.errors;
    }
  }
  return totals.map((t) => ({
    perSecond: t.done / t.seconds,
    errors: t.errors,
    cpuUsPerMsg: (t.cpuMs * 1000) / t.done,
    waitingPct: t.waitingMs / (t.seconds * 10),
  }));
}

const suite: BenchSuite = {
  name: 'ingest',
  baselines: {
    'ingest.msgs_per_s': ['ingest.plain_msgs_per_s'],
    'ingest.cpu_us_per_msg': ['ingest.plain_cpu_us_per_msg'],
  },
  async run() {
    const encrypted = await start(false);
    const plain = await start(true).catch(async (error: unknown) => {
      await encrypted.close();
      throw error;
    });
    const metrics: Record<string, number> = {};
    try {
      const [enc, pln] = await sustained([encrypted, plain]);
      const paced = await openLoop(encrypted.url, delivery(encrypted, 'paced'), { rate: 1000, seconds: 5 });
      Object.assign(metrics, {
        'ingest.msgs_per_s': enc!.perSecond,
        'ingest.plain_msgs_per_s': pln!.perSecond,
        'ingest.p50_ms_at_1000': paced.p50,
        'ingest.p99_ms_at_1000': paced.p99,
        'ingest.errors': enc!.errors + pln!.errors + paced.errors,
        // Server CPU time per message: comparable across runs on a busy machine, unlike rates.
        'ingest.cpu_us_per_msg': enc!.cpuUsPerMsg,
        'ingest.plain_cpu_us_per_msg': pln!.cpuUsPerMsg,
        // Share of the measured time the server was ready but waiting for a CPU taken by others.
        'ingest.cpu_wait_pct': enc!.waitingPct,
      });
    } finally {
      await Promise.all([encrypted.close(), plain.close()]);
    }
    const pg = process.env.CHATVAULT_BENCH_DATABASE_URL ?? process.env.CHATVAULT_TEST_DATABASE_URL;
    if (pg) {
      const server = await start(false, {
        CHATVAULT_DATABASE_URL: pg,
        CHATVAULT_DATABASE_SCHEMA: `bench_${Date.now()}`,
      });
      try {
        const [result] = await sustained([server]);
        metrics['ingest.pg_msgs_per_s'] = result!.perSecond;
        metrics['ingest.pg_cpu_us_per_msg'] = result!.cpuUsPerMsg;
        metrics['ingest.errors']! += result!.errors;
      } finally {
        await server.close();
      }
    }
    return metrics;
  },
};

export default suite;

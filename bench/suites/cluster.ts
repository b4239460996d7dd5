// Webhook ingest through nginx to several `chatvault serve` processes on one PostgreSQL database
// (test/support/cluster.ts: real nginx, real processes, loopback). Two nginx front ends over the same
// processes and database: one forwards to process 0 only, the other to both; the same closed-loop
// load generator measures them in alternating slices, so load from elsewhere hits both alike.
//
// Needs PostgreSQL (CHATVAULT_BENCH_DATABASE_URL or CHATVAULT_TEST_DATABASE_URL) and nginx.
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { metaJson, sign, textMessage } from '../../test/support/meta.ts';
import { freePort, launchNginx, startCluster, waitFor } from '../../test/support/cluster.ts';
import { closedLoop, type LoadRequest } from '../lib/http-load.ts';
import type { BenchSuite } from '../lib/suite.ts';

const CUSTOMERS = 2_000;
const CONCURRENCY = 64;
const SLICES = 3;
const SLICE_SECONDS = 3;

const suite: BenchSuite = {
  name: 'cluster',
  baselines: { 'cluster.ingest_msgs_per_s': ['cluster.ingest_msgs_per_s_1proc'] },
  async run() {
    const url = process.env.CHATVAULT_BENCH_DATABASE_URL ?? process.env.CHATVAULT_TEST_DATABASE_URL;
    if (!url)
      throw new Error('cluster bench: set CHATVAULT_BENCH_DATABASE_URL (or CHATVAULT_TEST_DATABASE_URL)');
    process.env.CHATVAULT_TEST_DATABASE_URL = url;
    const cluster = await startCluster({ label: 'bench', processes: 2 });
    let single: ChildProcess | undefined;
    try {
      const appSecret = cluster.emulator.channel.appSecret;
      const singlePort = await freePort();
      single = launchNginx(path.join(cluster.dir, 'nginx-single'), singlePort, [cluster.processes[0]!.port]);
      const singleUrl = `http://127.0.0.1:${singlePort}`;
      await waitFor(
        async () => (await fetch(`${singleUrl}/healthz`).catch(() => undefined))?.status === 200,
        10_000,
      );
      const delivery =
        (run: string) =>
        (i: number): LoadRequest => {
          const c = i % CUSTOMERS;
          const body = metaJson(
            textMessage(
              `86139${String(10_000_000 + c)}`,
              `Customer ${c}`,
              `wamid.${run}.${i}`,
              `Message ${i}`,
            ),
          );
          return {
            path: cluster.webhookPath,
            headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, appSecret) },
            body,
          };
        };
      // Warm-up: every customer once (creating a customer is not the steady state).
      await closedLoop(cluster.url, delivery('warm'), { concurrency: 32, seconds: 120, requests: CUSTOMERS });
      const totals = { one: { done: 0, seconds: 0 }, two: { done: 0, seconds: 0 }, errors: 0 };
      for (let slice = 0; slice < SLICES; slice++) {
        for (const [which, origin] of [
          ['one', singleUrl],
          ['two', cluster.url],
        ] as const) {
          const r = await closedLoop(origin, delivery(`${which}${slice}`), {
            concurrency: CONCURRENCY,
            seconds: SLICE_SECONDS,
          });
          totals[which].done += r.done;
          totals[which].seconds += r.seconds;
          totals.errors += r.errors;
        }
      }
      const [rows] = await cluster.query<{ n: string }>('select count(*) as n from messages');
      return {
        'cluster.ingest_msgs_per_s': totals.two.done / totals.two.seconds,
        'cluster.ingest_msgs_per_s_1proc': totals.one.done / totals.one.seconds,
        'cluster.errors': totals.errors,
        'cluster.messages_stored': Number(rows!.n),
      };
    } finally {
      if (single && single.exitCode === null) {
        const exited = new Promise((r) => single!.once('exit', r));
        single.kill('SIGQUIT');
        await exited;
      }
      await cluster.stop();
    }
  },
};

export default suite;

import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { clusterUnavailable, startCluster, waitFor, type Cluster } from './support/cluster.ts';

const skip = clusterUnavailable();

/**
 * A TCP proxy between ChatVault and PostgreSQL that the test can cut (every connection dropped, new
 * ones refused) and restore: a PostgreSQL outage without touching the machine's shared cluster.
 */
async function startPgProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) return client.destroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('chaos: PostgreSQL unavailable under load (proxy cut, nginx)', { skip }, () => {
  let cluster: Cluster;
  let proxy: Awaited<ReturnType<typeof startPgProxy>>;
  before(async () => {
    proxy = await startPgProxy(new URL(process.env.CHATVAULT_TEST_DATABASE_URL!));
    cluster = await startCluster({
      label: 'pgcut',
      processes: 1,
      databaseUrl: (real) => {
        const url = new URL(real);
        url.hostname = '127.0.0.1';
        url.port = String(proxy.port);
        return url.toString();
      },
    });
  });
  after(async () => {
    await cluster?.stop();
    await proxy?.close();
  });

  test('503 during the outage, recovery without action, nothing lost', { timeout: 120_000 }, async () => {
    const run = cluster.emulator.startLoad({ rate: 100, seconds: 8, batch: 1 });
    await new Promise((r) => setTimeout(r, 2000));
    proxy.cut();
    // During the outage: not ready (a load balancer takes the process out), webhooks answer 503.
    const seen: string[] = [];
    await waitFor(async () => {
      const r = await fetch(`${cluster.url}/readyz`);
      seen.push(`${r.status} ${(await r.text()).slice(0, 80)}`);
      return r.status === 503;
    }, 25_000).catch((error: Error) => {
      throw new Error(
        `${error.message}: ${seen.slice(-3).join(' | ')} ${cluster.processes[0]!.log.slice(-1500)}`,
      );
    });
    await new Promise((r) => setTimeout(r, 3000));
    proxy.restore();
    await waitFor(async () => (await fetch(`${cluster.url}/readyz`)).status === 200, 30_000);
    const report = await run.done;
    await cluster.emulator.flush();
    assert.equal(report.dropped, 0);
    assert.ok(report.retried > 0, 'the outage forced retries');

    const statuses = new Map<string, number>();
    for (const line of fs.readFileSync(`${cluster.dir}/nginx-access.log`, 'utf8').split('\n')) {
      const m = /"POST \/webhooks\/\S+ HTTP\/1\.1" (\d{3})/.exec(line);
      if (m) statuses.set(m[1]!, (statuses.get(m[1]!) ?? 0) + 1);
    }
    assert.ok((statuses.get('503') ?? 0) > 0, `503s during the outage: ${JSON.stringify([...statuses])}`);
    assert.equal(statuses.get('500') ?? 0, 0, `no 500: ${JSON.stringify([...statuses])}`);
    assert.equal(statuses.get('502') ?? 0, 0, 'the process stayed up');

    const [stored] = await cluster.query<{ n: string; d: string }>(
      `select count(*) as n, count(distinct wamid_key) as d from messages where direction = 'inbound'`,
    );
    assert.equal(Number(stored!.n), report.sent, 'every message stored');
    assert.equal(Number(stored!.d), report.sent, 'none twice');
    assert.equal(cluster.processes[0]!.child?.exitCode, null, 'no restart was needed');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  clusterUnavailable,
  enrollOperator,
  openEvents,
  signInOperator,
  startCluster,
  type Cluster,
} from './support/cluster.ts';

const skip = clusterUnavailable();

/**
 * Two `chatvault serve` processes on one PostgreSQL schema behind nginx: the console's live feed
 * reaches an operator whichever process ingested the message (LISTEN/NOTIFY, ids only), sessions
 * work on either process, and webhooks are accepted through nginx.
 */
describe('cluster: live updates across processes (postgres, nginx)', { skip }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ label: 'live', processes: 2 });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('a message ingested by process B reaches the operator streaming from process A within a second or two', async () => {
    const owner = await enrollOperator(cluster, 'owner@shop.test');
    const operator = await signInOperator(cluster.url, owner);
    const stream = await openEvents(operator);
    try {
      await stream.waitFor((e) => e.event === 'ready', 5000);
      const a = cluster.processes.find((p) => p.port === stream.upstreamPort);
      assert.ok(a, `nginx names the process serving the stream (${stream.upstreamPort})`);
      const b = cluster.processes.find((p) => p !== a)!;

      // Each process listens on a dedicated connection for its schema's channel.
      const listeners = await cluster.query<{ n: string }>(
        `select count(*) as n from pg_stat_activity where query = $1`,
        [`listen "chatvault_live_${cluster.schema}"`],
      );
      assert.ok(Number(listeners[0]!.n) >= 1, 'a LISTEN connection is open');

      // Meta delivers straight to B (not through nginx), so only B stores the message.
      cluster.emulator.setCallback(
        `http://127.0.0.1:${b.port}${cluster.webhookPath}`,
        cluster.emulator.channel.verifyToken,
      );
      const sentAt = Date.now();
      const delivered = await cluster.emulator.deliver('text', { count: 1 });
      assert.equal(delivered.outcome, 'acked');
      await stream.waitFor((e) => e.event === 'conversations' && e.at >= sentAt, 4000);
      const latency = stream.events.find((e) => e.event === 'conversations')!.at - sentAt;
      // The fallback poll runs every 5 s when notifications work: seeing it this soon is the NOTIFY.
      assert.ok(latency < 3000, `event after ${latency} ms`);
      const [row] = await cluster.query<{ conversation_id: string }>(
        'select conversation_id from messages order by id desc limit 1',
      );
      const ev = stream.events.find((e) => e.event === 'conversations')!;
      assert.deepEqual((ev.data as { ids: string[] }).ids, [row!.conversation_id]);
      // Ids only: the event carries no message text or phone number.
      assert.doesNotMatch(JSON.stringify(stream.events.map((e) => e.data)), /\+?\d{9,}|"text"/);

      // Through nginx again (round robin): still delivered, and the session works on both processes.
      cluster.emulator.setCallback(
        `${cluster.url}${cluster.webhookPath}`,
        cluster.emulator.channel.verifyToken,
      );
      const before = stream.events.length;
      const again = await cluster.emulator.deliver('text', { count: 3, separately: true });
      assert.equal(again.outcome, 'acked');
      await stream.waitFor(() => stream.events.slice(before).some((e) => e.event === 'conversations'), 4000);
      for (let i = 0; i < 4; i++) {
        const r = await operator.request('GET', '/api/v1/auth/sessions');
        assert.equal(r.status, 200, 'the session is valid on whichever process answers');
      }
    } finally {
      stream.close();
    }
  });
});

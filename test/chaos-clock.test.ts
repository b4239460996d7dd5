import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { totpCode } from '../src/features/auth/totp.ts';
import {
  clusterUnavailable,
  enrollOperator,
  HttpClient,
  signInOperator,
  startCluster,
  type Cluster,
} from './support/cluster.ts';

const skip = clusterUnavailable();
const SKEW_MS = 3 * 60_000;

/**
 * Clock skew of a few minutes between two processes (process 1 runs 3 minutes ahead through the
 * test-only CHATVAULT_TEST_CLOCK_OFFSET_MS): a TOTP code is judged by the clock of the process that
 * receives it and never accepted twice, sessions stay valid on both, and webhook timestamps come from
 * Meta's payload, not from whichever process stored the message.
 */
describe('chaos: clock skew between processes (postgres, nginx)', { skip }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({
      label: 'skew',
      processes: 2,
      envFor: (i): Record<string, string> =>
        i === 1 ? { CHATVAULT_TEST_CLOCK_OFFSET_MS: String(SKEW_MS) } : {},
    });
  });
  after(async () => {
    await cluster?.stop();
  });

  test(
    'TOTP, sessions and webhook timestamps stay correct with processes 3 minutes apart',
    { timeout: 120_000 },
    async () => {
      const [right, ahead] = cluster.processes.map((p) => `http://127.0.0.1:${p.port}`) as [string, string];
      assert.match(cluster.processes[1]!.log, /TEST CLOCK/, 'the skewed process says so');
      const who = await enrollOperator(cluster, 'owner@shop.test', 'owner', right);

      // TOTP: the code of the moment is refused by the process 3 minutes ahead (outside ±1 step)…
      const skewed = new HttpClient(ahead);
      await skewed.ok('POST', '/api/v1/auth/login', {
        tenant: 'shop',
        email: who.email,
        password: who.password,
      });
      const code = totpCode(who.seed, new Date());
      const early = await skewed.request('POST', '/api/v1/auth/mfa/totp', { code });
      assert.equal(early.status, 401, 'a skewed server does not widen the window');
      // …accepted by the right one, and then never again on either (replay state is in the database).
      const good = new HttpClient(right);
      await good.ok('POST', '/api/v1/auth/login', {
        tenant: 'shop',
        email: who.email,
        password: who.password,
      });
      const accepted = await good.request('POST', '/api/v1/auth/mfa/totp', { code });
      // The enrollment used this step already when it falls in the same 30 s: then the next one is due.
      if (accepted.status !== 200) assert.equal(accepted.status, 401);
      const replay = new HttpClient(right);
      await replay.ok('POST', '/api/v1/auth/login', {
        tenant: 'shop',
        email: who.email,
        password: who.password,
      });
      assert.equal(
        (await replay.request('POST', '/api/v1/auth/mfa/totp', { code })).status,
        401,
        'no replay',
      );

      // Sessions made on either process are valid on the other: expiry is minutes to hours away, and
      // a 3-minute skew neither ends a fresh session early nor keeps an ended one alive.
      const onRight = await signInOperator(right, who);
      const onAhead = await signInOperator(ahead, who);
      for (const [session, other] of [
        [onRight, ahead],
        [onAhead, right],
      ] as const) {
        const c = new HttpClient(other);
        session.cookies.forEach((v, k) => c.cookies.set(k, v));
        c.csrf = session.csrf;
        assert.equal((await c.request('GET', '/api/v1/auth/sessions')).status, 200);
      }
      await onAhead.ok('POST', '/api/v1/auth/logout', {});
      const ended = new HttpClient(right);
      onAhead.cookies.forEach((v, k) => ended.cookies.set(k, v));
      assert.equal(
        (await ended.request('GET', '/api/v1/auth/sessions')).status,
        401,
        'logged out everywhere',
      );

      // Webhooks through nginx land on both processes: every message stored once, stamped with Meta's time.
      const before = Date.now();
      const delivered = await cluster.emulator.deliver('text', { count: 30, separately: true });
      assert.equal(delivered.outcome, 'acked');
      await cluster.emulator.flush();
      const rows = await cluster.query<{ n: string; d: string; latest: string }>(
        `select count(*) as n, count(distinct wamid_key) as d, max(sent_at) as latest
         from messages where direction = 'inbound'`,
      );
      assert.equal(Number(rows[0]!.n), 30);
      assert.equal(Number(rows[0]!.d), 30);
      assert.ok(Date.parse(rows[0]!.latest) <= Date.now() + 5_000, 'no message dated by the skewed clock');
      assert.ok(Date.parse(rows[0]!.latest) >= before - 60_000);
    },
  );
});

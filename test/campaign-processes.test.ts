import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createRuntime, type Runtime } from '../src/runtime.ts';
import {
  campaignWorld,
  receivedBy,
  summerSale,
  testOperator,
  type CampaignWorld,
} from './campaign-support.ts';
import { databaseTargets } from './support/targets.ts';

// Several processes share one database only on PostgreSQL (SQLite is the single-process default).
for (const target of databaseTargets().filter((t) => t.name === 'postgres')) {
  describe(`two ChatVault runtimes on one ${target.name} database send one campaign`, () => {
    let w: CampaignWorld;
    let second: Runtime;

    before(async () => {
      w = await campaignWorld(target, { count: 60, emulator: { throughput: 1000 } });
      second = await createRuntime(loadConfig({ ...w.t.env, CHATVAULT_GRAPH_API_BASE: w.emulator.url }), {
        logger: createLogger('error'),
        clock: systemClock,
      });
      second.provider.autoUnseal();
    });
    after(async () => {
      await second.close();
      await w.close();
    });

    test('every recipient gets the message exactly once, and both runtimes sent part of it', async () => {
      const runtimes = [w.t.runtime, second];
      const c = await w.t.runtime.campaigns.campaigns.create(
        w.tenant.id,
        summerSale(w, { ratePerSecond: 40 }),
        testOperator,
      );
      await w.t.runtime.campaigns.campaigns.command(w.tenant.id, c.id, 'start', testOperator);
      const claimed = [0, 0];
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const rounds = await Promise.all(runtimes.map((r) => r.campaigns.sender.tick()));
        rounds.forEach((r, i) => (claimed[i]! += r.claimed));
        if (rounds.every((r) => r.claimed === 0)) {
          await Promise.all(runtimes.map((r) => r.campaigns.sender.settle()));
          const { status } = await w.t.runtime.campaigns.campaigns.get(w.tenant.id, c.id);
          if (status === 'done') break;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await Promise.all(runtimes.map((r) => r.campaigns.sender.settle()));
      const got = receivedBy(w);
      for (const p of w.people) assert.equal(got.get(p.customer.index), 1, 'exactly once');
      assert.equal(
        [...got.values()].reduce((a, b) => a + b, 0),
        w.people.length,
      );
      assert.ok(claimed[0]! > 0 && claimed[1]! > 0, `both runtimes claimed rows (${claimed.join(' / ')})`);
      const results = await second.campaigns.campaigns.results(w.tenant.id, c.id);
      assert.deepEqual([results.status, results.sent], ['done', w.people.length]);
    });
  });
}

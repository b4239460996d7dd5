import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import {
  expiredLeases,
  marketingConsentOf,
  sentSinceQuery,
} from '../src/features/campaigns/campaigns.repository.ts';
import { campaignDb } from '../src/features/campaigns/campaigns.table.ts';
import { startTestRuntime } from './support/runtime.ts';
import { fakeMillionRowStats, planOf } from './support/sqlite-plans.ts';
import { databaseTargets } from './support/targets.ts';

// With 100,000 opted-in customers a 1,000/s campaign ran 6 % slow: each claim's consent check read
// every opted-in customer of the tenant. The sender's queries must cost their own rows.
test('the campaign sender reads consent, the day’s sends and run-out leases through indexes (SQLite plan, 1M rows)', async () => {
  const t = await startTestRuntime(databaseTargets()[0]!); // SQLite comes first
  try {
    const file = path.join(t.dataDir, 'chatvault.db');
    // A fresh database has no statistics (nothing runs ANALYZE): the sweep must not scan the table.
    const fresh = planOf(
      file,
      expiredLeases(t.runtime.database.db, 'claimed', '2026-01-01T00:00:00.000Z')
        .set({ updated_at: 'x' })
        .compile(),
    );
    assert.match(fresh, /SEARCH campaign_recipients USING INDEX campaign_recipients_lease/, fresh);
    fakeMillionRowStats(file, ['consent_state', 'campaign_recipients', 'campaigns'], '1000000 1000000 4 2 1');
    const db = campaignDb(t.runtime.database.db);

    const consent = planOf(file, marketingConsentOf(db, ['ct_1', 'ct_2', 'ct_3']).compile());
    assert.match(
      consent,
      /SEARCH consent_state USING INDEX sqlite_autoindex_consent_state_1 \(contact_id=\?/,
      consent,
    );

    const day = planOf(
      file,
      sentSinceQuery(t.runtime.database.db, 'tn_x', '2026-01-01T00:00:00.000Z', {
        channelId: 'ch_x',
      }).compile(),
    );
    assert.match(day, /SEARCH r USING INDEX campaign_recipients_sent \(tenant_id=\? AND sent_at>\?\)/, day);
    assert.doesNotMatch(day, /SCAN r\b/, day);

    for (const status of ['claimed', 'sending'] as const) {
      const sweep = planOf(
        file,
        expiredLeases(t.runtime.database.db, status, '2026-01-01T00:00:00.000Z')
          .set({ updated_at: 'x' })
          .compile(),
      );
      assert.match(sweep, /SEARCH campaign_recipients USING INDEX \w+ \(.*status=\? AND next_at<\?\)/, sweep);
      assert.doesNotMatch(sweep, /SCAN campaign_recipients/, sweep);
    }
  } finally {
    await t.close();
  }
});

// Privacy operations (issue 8), SQLite, measured by the `privacy` suite beside the DLP scanner:
// - consent.check_p99_ms: the fresh consent check the send path makes (one primary-key read of
//   consent_state), p99 over 20,000 checks of 2,000 customers; the cached `canSend` beside it.
//   Baseline: a plain indexed SELECT of the contact row by id, same database and driver.
// - dsr.erase_ms: erasing one customer who has 10,000 messages, up to the key being unusable
//   (shredding secret destroyed with fsync, key row cleared, tombstone + audit committed); the median
//   of 3 customers. dsr.purge_10k_ms: the background row purge that follows. Baseline: a plain
//   DELETE of a contact row without children.
import { randomBytes } from 'node:crypto';
import { newId } from '../../src/lib/ids.ts';
import { percentile } from './timing.ts';
import { startBenchRuntime } from './bench-runtime.ts';

const CONSENT_CONTACTS = 2_000;
const CHECKS = 20_000;
const MESSAGES = 10_000;
const ERASURES = 3;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export const privacyOpsBaselines = {
  'consent.check_p99_ms': ['consent.baseline_select_p99_ms'],
  'dsr.erase_ms': ['dsr.baseline_delete_ms'],
};

export async function measurePrivacyOps(): Promise<Record<string, number>> {
  {
    const { runtime, close } = await startBenchRuntime('privacy');
    try {
      const db = runtime.database.db;
      const tenant = await runtime.tenants.create({ slug: 'bench', name: 'Bench' });
      const system = { type: 'system', id: 'bench' } as const;
      const channel = await runtime.channels.add(tenant, {
        appSecret: 'bench-app-secret-0123456',
        verifyToken: 'bench-verify',
        accessToken: 'bench-access-token-0123456',
        phoneNumberId: '106540352242922',
        wabaId: '102290129340398',
      });
      const now = new Date().toISOString();

      // Consent: 2,000 customers with a state row each (half opted in, half out).
      const ids: string[] = [];
      for (let i = 0; i < CONSENT_CONTACTS; i += 500) {
        const rows = Array.from({ length: 500 }, (_, j) => ({
          id: newId('ct'),
          tenant_id: tenant.id,
          user_key: null,
          wa_key: randomBytes(32),
          key_version: 1,
          key_wrapped: randomBytes(61),
          phone_ct: null,
          phone_bidx: null,
          phone_last4_bidx: null,
          name_ct: null,
          email_ct: null,
          email_bidx: null,
          attributes_ct: null,
          tags: '[]',
          created_at: now,
          updated_at: now,
          n: i + j,
        }));
        await db
          .insertInto('contacts')
          .values(rows.map(({ n: _n, ...r }) => r))
          .execute();
        await db
          .insertInto('consent_state')
          .values(
            rows.map((r) => ({
              contact_id: r.id,
              purpose: 'marketing' as const,
              tenant_id: tenant.id,
              state: r.n % 2 ? ('opted_in' as const) : ('opted_out' as const),
              source: 'import',
              event_id: newId('ce'),
              at: now,
              updated_at: now,
            })),
          )
          .execute();
        ids.push(...rows.map((r) => r.id));
      }
      const pick = (i: number) => ids[(i * 7919) % ids.length]!;
      const fresh: number[] = [];
      const cached: number[] = [];
      const plain: number[] = [];
      for (let i = 0; i < CHECKS + 1000; i++) {
        const id = pick(i);
        let t = performance.now();
        await runtime.consent.isAllowed(tenant.id, id, 'marketing');
        const a = performance.now() - t;
        t = performance.now();
        await runtime.consent.canSend(tenant.id, id, 'marketing');
        const b = performance.now() - t;
        t = performance.now();
        await db.selectFrom('contacts').select(['id', 'key_version']).where('id', '=', id).executeTakeFirst();
        const c = performance.now() - t;
        if (i >= 1000) {
          fresh.push(a);
          cached.push(b);
          plain.push(c);
        }
      }

      // Erasure: customers with 10,000 messages each.
      const erase: number[] = [];
      const purge: number[] = [];
      const baseline: number[] = [];
      for (let k = 0; k < ERASURES; k++) {
        const contact = await runtime.contacts.create(
          tenant,
          { waId: `4915100000${k}`, profileName: 'Bench' },
          system,
        );
        const conversationId = newId('cv');
        await db
          .insertInto('conversations')
          .values({
            id: conversationId,
            tenant_id: tenant.id,
            contact_id: contact.id,
            channel_id: channel.id,
            last_inbound_at: now,
            window_expires_at: null,
            unread: 0,
            updated_at: now,
          })
          .execute();
        for (let i = 0; i < MESSAGES; i += 500)
          await db
            .insertInto('messages')
            .values(
              Array.from({ length: 500 }, () => ({
                id: newId('ms'),
                tenant_id: tenant.id,
                conversation_id: conversationId,
                contact_id: contact.id,
                direction: 'inbound' as const,
                type: 'text',
                wamid_key: randomBytes(32),
                content_ct: randomBytes(120),
                status: 'received',
                error_code: null,
                sent_at: now,
                created_at: now,
              })),
            )
            .execute();
        const outcome = await runtime.erasure.erase(tenant.id, contact.id, { actor: system, origin: 'cli' });
        erase.push(outcome.keyDestroyedMs);
        const t = performance.now();
        await runtime.erasure.purgeOne(tenant.id, contact.id);
        purge.push(performance.now() - t);

        const victim = await runtime.contacts.create(
          tenant,
          { waId: `4915200000${k}`, profileName: 'Plain' },
          system,
        );
        const t2 = performance.now();
        await db.deleteFrom('contacts').where('id', '=', victim.id).execute();
        baseline.push(performance.now() - t2);
      }

      return {
        'consent.check_p99_ms': percentile(fresh, 99),
        'consent.check_cached_p99_ms': percentile(cached, 99),
        'consent.baseline_select_p99_ms': percentile(plain, 99),
        'dsr.erase_ms': median(erase),
        'dsr.purge_10k_ms': median(purge),
        'dsr.baseline_delete_ms': median(baseline),
      };
    } finally {
      await close();
    }
  }
}

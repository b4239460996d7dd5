import type { Clock } from '../../lib/clock.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Vault } from '../vault/vault.ts';
import { detectionDb } from './detection.table.ts';
import {
  DEFAULT_ROUTES,
  DEFAULT_THRESHOLDS,
  routeSettings,
  thresholdSettings,
  type Routes,
  type Thresholds,
} from './settings.ts';

const CACHE_MS = 10_000;

/**
 * Per-tenant detection settings: thresholds in clear (cached briefly, so a change applies within
 * seconds in every process), alert routes and notice contacts sealed under the tenant `restricted` key.
 */
export function createDetectionSettings(deps: {
  db: Db;
  keyring: Pick<Keyring, 'tenantKey'>;
  vault: Pick<Vault, 'seal' | 'openText'>;
  clock: Clock;
}) {
  const db = detectionDb(deps.db);
  const cache = new Map<string, { at: number; thresholds: Thresholds }>();
  const ref = (tenantId: string) => ({
    tenantId,
    table: 'detection_settings',
    column: 'secrets',
    rowId: tenantId,
  });

  const row = (tenantId: string) =>
    db.selectFrom('detection_settings').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();

  async function thresholds(tenantId: string): Promise<Thresholds> {
    const now = Date.now();
    const hit = cache.get(tenantId);
    if (hit && now - hit.at < CACHE_MS) return hit.thresholds;
    const r = await row(tenantId);
    const value = r ? thresholdSettings.parse(JSON.parse(r.settings)) : DEFAULT_THRESHOLDS;
    cache.set(tenantId, { at: now, thresholds: value });
    return value;
  }

  async function routes(tenantId: string): Promise<Routes> {
    const r = await row(tenantId);
    if (!r?.secrets_ct) return DEFAULT_ROUTES;
    const key = await deps.keyring.tenantKey(tenantId, 'restricted');
    return routeSettings.parse(JSON.parse(deps.vault.openText(key, ref(tenantId), r.secrets_ct)));
  }

  return {
    thresholds,
    routes,

    /** Replaces the thresholds and/or the routes (each validated whole). */
    async update(tenantId: string, input: { thresholds?: unknown; routes?: unknown }): Promise<void> {
      const t =
        input.thresholds === undefined
          ? await thresholds(tenantId)
          : parseInput(thresholdSettings, input.thresholds);
      let secrets: Buffer | null = (await row(tenantId))?.secrets_ct ?? null;
      if (input.routes !== undefined) {
        const r = parseInput(routeSettings, input.routes);
        const key = await deps.keyring.tenantKey(tenantId, 'restricted');
        secrets = deps.vault.seal(key, ref(tenantId), JSON.stringify(r));
      }
      const at = deps.clock.now().toISOString();
      await db
        .insertInto('detection_settings')
        .values({ tenant_id: tenantId, settings: JSON.stringify(t), secrets_ct: secrets, updated_at: at })
        .onConflict((oc) =>
          oc
            .column('tenant_id')
            .doUpdateSet({ settings: JSON.stringify(t), secrets_ct: secrets, updated_at: at }),
        )
        .execute();
      cache.delete(tenantId);
    },

    /** The routes as an admin may see them: the webhook secret is never returned. */
    async describe(tenantId: string) {
      const r = await routes(tenantId);
      return {
        thresholds: await thresholds(tenantId),
        routes: { ...r, webhookSecret: r.webhookSecret ? 'set' : null },
      };
    },
  };
}

export type DetectionSettings = ReturnType<typeof createDetectionSettings>;

import pg from 'pg';
import type { Config } from '../../config.ts';
import type { Logger } from '../../lib/logger.ts';

/**
 * Wake-ups for the live feed when another process stored a message (PostgreSQL LISTEN/NOTIFY).
 * Migration 0016 makes every insert or status change on `messages` NOTIFY `chatvault_live_<schema>`
 * with "<tenant id> <conversation id>" (ids only). Each process listens on one dedicated client
 * (not from the pool: a pooled connection is handed to other queries), reconnecting after an outage;
 * while it is down the feed falls back to polling.
 */
export interface LiveSignals {
  /** True when notifications are delivered, so the feed may poll rarely. */
  readonly connected: () => boolean;
  /** Calls `wake` with the tenant id of each notification; returns the function that stops listening. */
  listen(wake: (tenantId: string) => void): () => Promise<void>;
}

const RECONNECT_MS = 1000;

export function createLiveSignals(database: Config['database'], logger: Logger): LiveSignals | undefined {
  if (database.kind !== 'postgres') return undefined;
  const target = database;
  let connected = false;
  return {
    connected: () => connected,
    listen(wake) {
      let stopped = false;
      let client: pg.Client | undefined;
      let retry: NodeJS.Timeout | undefined;

      const reconnect = () => {
        connected = false;
        const old = client;
        client = undefined;
        void old?.end().catch(() => undefined);
        if (stopped || retry) return;
        retry = setTimeout(() => {
          retry = undefined;
          void connect();
        }, RECONNECT_MS);
        retry.unref();
      };

      async function connect(): Promise<void> {
        const c = new pg.Client({
          connectionString: target.url,
          options: target.schema ? `-c search_path="${target.schema}"` : undefined,
        });
        client = c;
        c.on('error', reconnect);
        c.on('end', () => {
          if (client === c) reconnect();
        });
        c.on('notification', (n) => {
          const tenantId = n.payload?.split(' ')[0];
          if (tenantId) wake(tenantId);
        });
        try {
          await c.connect();
          const { rows } = await c.query<{ s: string }>('select current_schema() as s');
          const channel = `chatvault_live_${rows[0]!.s}`.slice(0, 63);
          await c.query(`listen "${channel.replace(/"/g, '""')}"`);
          if (stopped) return void (await c.end().catch(() => undefined));
          connected = true;
          // Messages stored while we were not listening are found by the next poll.
          wake('');
        } catch (error) {
          if (client === c) {
            logger.warn({ err: error }, 'live feed: could not listen for notifications; polling meanwhile');
            reconnect();
          }
        }
      }

      void connect();
      return async () => {
        stopped = true;
        connected = false;
        if (retry) clearTimeout(retry);
        const c = client;
        client = undefined;
        await c?.end().catch(() => undefined);
      };
    },
  };
}

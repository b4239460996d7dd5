import pg from 'pg';
import type { Config } from '../config.ts';
import type { Dialect } from './database.ts';

/**
 * Runs background work that must happen in one process at a time across a cluster (the audit
 * sequencer and checkpoint signer, scheduled key work, retention, the detection cursor…).
 *
 * On PostgreSQL each run takes a session advisory lock (`pg_try_advisory_lock`), keyed on the schema
 * and the job's name, on one dedicated connection per process (not from the pool), and releases it
 * after. If another process holds it, the run is skipped (the job's next tick tries again). If this
 * process dies mid-run its connection closes and PostgreSQL releases the lock, so a survivor takes
 * over on its next tick. A dropped lock connection is reopened on the next run (the run in progress
 * finishes; the jobs stay correct on their own, e.g. the sequencer's per-tenant transaction locks).
 * On SQLite there is one process per database file: the work always runs.
 */
export interface Singleton {
  /** Runs `work` unless another process (or this one) is running the job `name`; `undefined` when skipped. */
  run<T>(name: string, work: () => Promise<T>): Promise<T | undefined>;
  close(): Promise<void>;
}

const KEY = `hashtext(current_schema() || ':singleton:' || $1)::bigint`;

export function createSingleton(deps: { dialect: Dialect; database: Config['database'] }): Singleton {
  const running = new Set<string>();
  const target = deps.database;
  if (deps.dialect !== 'postgres' || target.kind !== 'postgres') {
    return {
      async run(name, work) {
        if (running.has(name)) return undefined;
        running.add(name);
        try {
          return await work();
        } finally {
          running.delete(name);
        }
      },
      close: () => Promise.resolve(),
    };
  }

  const { url, schema } = target;
  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let closed = false;

  function connection(): Promise<pg.Client> {
    if (client) return Promise.resolve(client);
    connecting ??= (async () => {
      const c = new pg.Client({
        connectionString: url,
        options: schema ? `-c search_path="${schema}"` : undefined,
        connectionTimeoutMillis: 5000,
      });
      const drop = () => {
        if (client === c) client = undefined;
      };
      // A lost connection must not crash the process: its locks are gone, the next run reconnects.
      c.on('error', drop);
      c.on('end', drop);
      await c.connect();
      client = c;
      return c;
    })().finally(() => (connecting = undefined));
    return connecting;
  }

  return {
    async run<T>(name: string, work: () => Promise<T>): Promise<T | undefined> {
      if (closed || running.has(name)) return undefined;
      const c = await connection();
      const { rows } = await c.query<{ got: boolean }>(`select pg_try_advisory_lock(${KEY}) as got`, [name]);
      if (!rows[0]?.got) return undefined;
      running.add(name);
      try {
        return await work();
      } finally {
        running.delete(name);
        if (client === c) await c.query(`select pg_advisory_unlock(${KEY})`, [name]).catch(() => undefined);
      }
    },
    async close() {
      closed = true;
      const c = client ?? (await connecting?.catch(() => undefined));
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

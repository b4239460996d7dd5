import { CompiledQuery, sql, type Compilable, type QueryResult } from 'kysely';
import type { Db } from './database.ts';

const dialects = new WeakMap<Db, string>();

/**
 * The SQL differs per dialect (quoting, placeholders), so templates are kept per dialect: how a handle
 * writes an identifier and a parameter tells them apart (`"x" = ?`, `"x" = $1`, …). Remembered per
 * handle; a transaction is a new handle, checked once for all the statements it runs.
 */
function dialectOf(db: Db): string {
  let dialect = dialects.get(db);
  if (dialect === undefined) {
    dialect = sql`${sql.ref('x')} = ${0}`.compile(db).sql;
    dialects.set(db, dialect);
  }
  return dialect;
}

/** Stands for a named argument while a prepared query is built and compiled. */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * A query built with Kysely and compiled once per dialect, then run with new argument values. Kysely
 * otherwise rebuilds and recompiles the SQL on every call, which on the webhook path costs more than
 * SQLite running the statement. `build` receives stand-ins for the arguments: use each only as a
 * value (never inspect it, never spread an array of it into `in (…)`). Undefined values bind as null.
 * @example
 * const byId = prepared((db, a: { id: string }) => db.selectFrom('contacts').select('id').where('id', '=', a.id));
 * const { rows } = await byId(trx, { id });
 */
export function prepared<A extends object, R>(build: (db: Db, args: A) => Compilable<R>) {
  const templates = new Map<string, { sql: string; parameters: readonly unknown[] }>();
  const standIns = new Proxy({} as A, {
    get: (_target, name) => (typeof name === 'string' ? new Slot(name) : undefined),
  });
  return async (db: Db, args: A): Promise<QueryResult<R>> => {
    const dialect = dialectOf(db);
    let template = templates.get(dialect);
    if (!template) {
      const compiled = build(db, standIns).compile();
      template = { sql: compiled.sql, parameters: compiled.parameters };
      templates.set(dialect, template);
    }
    const values = args as Record<string, unknown>;
    const parameters = template.parameters.map((p) => (p instanceof Slot ? (values[p.name] ?? null) : p));
    return db.executeQuery<R>(CompiledQuery.raw(template.sql, parameters));
  };
}

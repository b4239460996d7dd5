import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from 'kysely';

export type Execute = <R>(query: CompiledQuery) => Promise<QueryResult<R>>;

/**
 * Wraps `executeQuery` of every connection the driver hands out, once per connection: `wrap`
 * receives the connection's current `executeQuery` and returns the one to use instead. Wrappers
 * installed later run outside earlier ones.
 */
export function wrapExecute(driver: Driver, wrap: (execute: Execute) => Execute): void {
  const wrapped = new WeakSet<DatabaseConnection>();
  const acquire = driver.acquireConnection.bind(driver);
  driver.acquireConnection = async () => {
    const connection = await acquire();
    if (!wrapped.has(connection)) {
      connection.executeQuery = wrap(connection.executeQuery.bind(connection));
      wrapped.add(connection);
    }
    return connection;
  };
}

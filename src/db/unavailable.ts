/**
 * Whether an error means "the database cannot be used right now" (PostgreSQL unreachable, restarting
 * or out of connections; SQLite's file read-only, its disk full, or locked by another process for too
 * long) rather than a bug. Requests failing this way answer 503, so Meta and load balancers retry, and
 * nothing was acknowledged.
 */
export function isStorageUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // Node's socket errors talking to PostgreSQL.
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code))
      return true;
    // PostgreSQL: connection exceptions (08…), shutting down / starting up (57P01–57P03), too many
    // connections (53300), out of disk (53100), read-only transaction on a standby (25006).
    if (/^08...$/.test(code) || /^57P0[123]$/.test(code) || ['53300', '53100', '25006'].includes(code))
      return true;
    // SQLite: read-only file or directory, disk full, I/O error, cannot open; and busy: another
    // process (a CLI command) held the write lock for longer than a statement waits (busy-retry.ts).
    if (/^SQLITE_(READONLY|FULL|IOERR|CANTOPEN|BUSY)/.test(code)) return true;
  }
  // node-postgres reports a dropped or refused connection with these messages and no code.
  return /Connection terminated|connection timeout|Connection refused|Client has encountered a connection error/i.test(
    error.message,
  );
}

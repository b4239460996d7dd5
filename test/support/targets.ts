import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** A database the whole-app tests run against: SQLite always, PostgreSQL when configured. */
export interface DbTarget {
  readonly name: 'sqlite' | 'postgres';
  /** Environment for a fresh, isolated database (a file in `dataDir`, or a new PostgreSQL schema). */
  environment(dataDir: string): Record<string, string>;
  /** Drops what `environment` created. */
  cleanup(env: Record<string, string>): Promise<void>;
}

const sqlite: DbTarget = {
  name: 'sqlite',
  environment: (dataDir) => ({ CHATVAULT_DATA_DIR: dataDir }),
  cleanup: () => Promise.resolve(),
};

function postgres(url: string): DbTarget {
  return {
    name: 'postgres',
    environment: (dataDir) => ({
      CHATVAULT_DATA_DIR: dataDir,
      CHATVAULT_DATABASE_URL: url,
      CHATVAULT_DATABASE_SCHEMA: `t_${randomBytes(6).toString('hex')}`,
    }),
    async cleanup(env) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`drop schema if exists "${env.CHATVAULT_DATABASE_SCHEMA}" cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * SQLite, plus PostgreSQL when CHATVAULT_TEST_DATABASE_URL is set. With CHATVAULT_REQUIRE_POSTGRES=1
 * (CI) a missing PostgreSQL URL is an error rather than a silent skip.
 */
export function databaseTargets(): DbTarget[] {
  const url = process.env.CHATVAULT_TEST_DATABASE_URL;
  if (!url && process.env.CHATVAULT_REQUIRE_POSTGRES === '1') {
    throw new Error('CHATVAULT_REQUIRE_POSTGRES=1 but CHATVAULT_TEST_DATABASE_URL is not set');
  }
  return url ? [sqlite, postgres(url)] : [sqlite];
}

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `chatvault-${label}-`));
}

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from './config.ts';
import { ConfigError } from './lib/errors.ts';

test('an empty environment gives the embedded defaults', () => {
  const config = loadConfig({});
  assert.equal(config.port, 8080);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.keyProvider, 'local');
  assert.deepEqual(config.database, { kind: 'sqlite', file: path.resolve('.chatvault/chatvault.db') });
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.database));
});

test('a PostgreSQL URL and schema are taken as given', () => {
  const config = loadConfig({
    CHATVAULT_DATABASE_URL: 'postgres://u@h/db',
    CHATVAULT_DATABASE_SCHEMA: 'tenant_a',
  });
  assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://u@h/db', schema: 'tenant_a' });
});

test('every problem is reported at once', () => {
  assert.throws(
    () =>
      loadConfig({
        CHATVAULT_PORT: '99999',
        CHATVAULT_KEY_PROVIDER: 'usb',
        CHATVAULT_GRAPH_API_BASE: 'not a url',
        CHATVAULT_GRAPH_API_VERSION: '23',
      }),
    (error: Error) => {
      assert.ok(error instanceof ConfigError);
      const problems = error.details?.problems as string[];
      assert.equal(problems.length, 4);
      for (const name of [
        'CHATVAULT_PORT',
        'CHATVAULT_KEY_PROVIDER',
        'CHATVAULT_GRAPH_API_BASE',
        'CHATVAULT_GRAPH_API_VERSION',
      ]) {
        assert.match(error.message, new RegExp(name));
      }
      return true;
    },
  );
});

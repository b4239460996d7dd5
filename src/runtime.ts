import type { Config } from './config.ts';
import { createDb, migrateToLatest, type DbHandle } from './db/create-db.ts';
import type { Clock } from './lib/clock.ts';
import { ConfigError } from './lib/errors.ts';
import type { Logger } from './lib/logger.ts';
import { createContactCodec } from './features/contacts/contact-codec.ts';
import { createContactService } from './features/contacts/contacts.service.ts';
import { createKeyring } from './features/keys/keyring.ts';
import type { UnsealProgress } from './features/keys/key-provider.ts';
import { createLocalProvider } from './features/keys/local-provider.ts';
import { createOperatorService } from './features/operators/operators.service.ts';
import { createTenantService } from './features/tenants/tenants.service.ts';
import { createVault } from './features/vault/vault.ts';

/**
 * Composes the services of one ChatVault process over one database and one key provider.
 * Nothing here starts a listener; `buildApp` and the CLI use the same runtime.
 */
export async function createRuntime(config: Config, deps: { logger: Logger; clock: Clock }) {
  if (config.keyProvider !== 'local') {
    throw new ConfigError([
      'CHATVAULT_KEY_PROVIDER: the pkcs11 provider is not part of this build yet (issue 7)',
    ]);
  }
  const provider = createLocalProvider(config.dataDir);
  const database: DbHandle = await createDb(config);
  await migrateToLatest(database);
  const { db } = database;
  const keyring = createKeyring({ db: database.reader, provider, cacheSize: config.keyCacheSize, clock: deps.clock });
  const vault = createVault({ keyring });
  const codec = createContactCodec({ vault, keyring });
  const tenants = createTenantService({ db, keyring, clock: deps.clock });
  const contacts = createContactService({ db, keyring, codec, clock: deps.clock });
  const operators = createOperatorService({ db, keyring, clock: deps.clock });

  return {
    config,
    logger: deps.logger,
    clock: deps.clock,
    database,
    provider,
    keyring,
    vault,
    tenants,
    contacts,
    operators,

    /** Drops every key from memory; personal data stays unreadable until unsealed with shares. */
    seal(): void {
      provider.seal();
      keyring.clear();
      deps.logger.warn('vault sealed: every key was dropped from memory');
    },

    async submitShare(share: string): Promise<UnsealProgress> {
      const progress = await provider.submitShare(share);
      if (!progress.sealed) deps.logger.info('vault unsealed');
      return progress;
    },

    async close(): Promise<void> {
      keyring.clear();
      provider.forget();
      await database.close();
    },
  };
}

export type Runtime = Awaited<ReturnType<typeof createRuntime>>;

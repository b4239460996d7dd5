import type { Config } from './config.ts';
import { createDb, migrateToLatest, type DbHandle } from './db/create-db.ts';
import type { Clock } from './lib/clock.ts';
import type { Logger } from './lib/logger.ts';
import { createAccess } from './features/access/access.service.ts';
import { createAuditService } from './features/audit/audit.service.ts';
import { createAuth } from './features/auth/auth.service.ts';
import { createChannelService } from './features/channels/channels.service.ts';
import { createContactCodec } from './features/contacts/contact-codec.ts';
import { createContactUpserter } from './features/contacts/contact-upsert.ts';
import { createContactService } from './features/contacts/contacts.service.ts';
import { createContactStore } from './features/contacts/contact-store.ts';
import { createKeyring } from './features/keys/keyring.ts';
import type { UnsealProgress } from './features/keys/key-provider.ts';
import { createLocalProvider } from './features/keys/local-provider.ts';
import { createKeyWorker } from './features/keys/key-worker.ts';
import { createPkcs11Provider } from './features/keys/pkcs11-provider.ts';
import { createKeyLifecycle } from './features/keys/rotation.service.ts';
import { createOperatorService } from './features/operators/operators.service.ts';
import { createTenantService } from './features/tenants/tenants.service.ts';
import { createVault } from './features/vault/vault.ts';
import { createIngestService } from './features/whatsapp/ingest/ingest.service.ts';
import { createGroupCommitter } from './db/group-commit.ts';
import path from 'node:path';
import { createLocalBlobStore } from './features/media/blob-store.ts';
import { createMediaFetcher } from './features/media/media-fetch.ts';
import { createMediaService } from './features/media/media.service.ts';
import { createOutboxWorker } from './features/outbox/outbox.worker.ts';
import { createSendJob } from './features/messages/send-job.ts';
import { createSendService } from './features/messages/send.service.ts';
import { createSendLimiter } from './features/whatsapp/rate-limits.ts';
import { createGraphClient } from './features/whatsapp/graph/graph-client.ts';

/**
 * Composes the services of one ChatVault process over one database and one key provider.
 * Nothing here starts a listener; `buildApp` and the CLI use the same runtime.
 */
export async function createRuntime(config: Config, deps: { logger: Logger; clock: Clock }) {
  const provider = config.pkcs11 ? createPkcs11Provider(config.pkcs11) : createLocalProvider(config.dataDir);
  const database: DbHandle = await createDb(config);
  await migrateToLatest(database);
  const { db } = database;
  const keyring = createKeyring({
    db: database.reader,
    provider,
    cacheSize: config.keyCacheSize,
    clock: deps.clock,
  });
  const vault = createVault({ keyring });
  const codec = createContactCodec({ vault, keyring });
  const sqliteFile =
    config.database.kind === 'sqlite' && config.database.file !== ':memory:'
      ? config.database.file
      : undefined;
  const audit = createAuditService({ db, dialect: database.dialect, keyring, vault, sqliteFile, ...deps });
  const tenants = createTenantService({ db, keyring, clock: deps.clock });
  const contactStore = createContactStore({ keyring, codec, clock: deps.clock });
  const contacts = createContactService({ db, store: contactStore, codec, audit, clock: deps.clock });
  const operators = createOperatorService({ db, keyring, clock: deps.clock });
  const access = createAccess({ db, keyring, vault, audit, contacts, operators, ...deps });
  const auth = createAuth({
    db,
    keyring,
    clock: deps.clock,
    publicUrl: config.publicUrl,
    tenants,
    operators,
    audit,
  });
  const channels = createChannelService({ db, keyring, clock: deps.clock });
  const upsertContact = createContactUpserter({ keyring, codec, clock: deps.clock });
  const ingest = createIngestService({ keyring, upsertContact, clock: deps.clock });
  // SQLite has one writer; on PostgreSQL a few batches overlap their round trips (pool of 10).
  const committer = createGroupCommitter(db, { parallel: database.dialect === 'postgres' ? 4 : 1 });
  const graph = createGraphClient(config.graphApi);
  const blobs = createLocalBlobStore(path.join(config.dataDir, 'blobs'));
  const media = createMediaService({ db: database.reader, keyring, blobs });
  const fetchMedia = createMediaFetcher({
    db,
    reader: database.reader,
    channels,
    keyring,
    graph,
    blobs,
    clock: deps.clock,
  });
  const messaging = createSendService({ db, reader: database.reader, keyring, clock: deps.clock });
  const sendMessage = createSendJob({
    db,
    channels,
    tenants,
    keyring,
    codec,
    graph,
    limiter: createSendLimiter({ perSecond: config.sendRate }),
    clock: deps.clock,
    logger: deps.logger,
  });
  const keyLifecycle = createKeyLifecycle({
    db,
    dialect: database.dialect,
    keyring,
    provider,
    audit,
    clock: deps.clock,
    logger: deps.logger,
  });
  const keyWorker = createKeyWorker({ lifecycle: keyLifecycle, provider, logger: deps.logger });
  const outbox = createOutboxWorker({
    db,
    dialect: database.dialect,
    keyring,
    clock: deps.clock,
    logger: deps.logger,
    handlers: { media_fetch: fetchMedia, send_message: sendMessage },
  });

  async function recordSystem(action: 'sys_seal' | 'sys_unseal'): Promise<void> {
    try {
      await audit.appendToAllTenants({
        actor: { type: 'system', id: 'vault' },
        action,
        target: { type: 'vault', id: config.keyProvider },
        outcome: 'success',
      });
    } catch (error) {
      deps.logger.error({ err: error }, `audit: could not record ${action}`);
    }
  }

  return {
    config,
    logger: deps.logger,
    clock: deps.clock,
    database,
    provider,
    keyring,
    vault,
    codec,
    tenants,
    contactStore,
    contacts,
    operators,
    access,
    auth,
    audit,
    channels,
    ingest,
    committer,
    graph,
    media,
    outbox,
    messaging,
    keyLifecycle,
    keyWorker,

    /**
     * Drops every key from memory at once; personal data stays unreadable until unsealed with shares.
     * Then records `sys_seal` in every tenant's chain (no key needed); a failure there is logged and
     * never undoes the seal.
     */
    async seal(): Promise<void> {
      provider.seal();
      keyring.clear();
      channels.forget();
      deps.logger.warn('vault sealed: every key was dropped from memory');
      await recordSystem('sys_seal');
    },

    async submitShare(share: string): Promise<UnsealProgress> {
      const wasSealed = provider.isSealed();
      const progress = await provider.submitShare(share);
      if (wasSealed && !progress.sealed) {
        deps.logger.info('vault unsealed');
        await recordSystem('sys_unseal');
      }
      return progress;
    },

    async close(): Promise<void> {
      await keyWorker.stop();
      await outbox.stop();
      await audit.stop();
      keyring.clear();
      provider.forget();
      await database.close();
    },
  };
}

export type Runtime = Awaited<ReturnType<typeof createRuntime>>;

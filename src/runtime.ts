import type { Config } from './config.ts';
import { createDb, migrateToLatest, type DbHandle } from './db/create-db.ts';
import type { Clock } from './lib/clock.ts';
import type { Logger } from './lib/logger.ts';
import { createAccess } from './features/access/access.service.ts';
import { createAuditService } from './features/audit/audit.service.ts';
import { createSingleton } from './db/singleton.ts';
import { createLiveSignals } from './features/live/live-signals.ts';
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
import { createDetection } from './features/detection/detection.service.ts';
import { createDetectionSettings } from './features/detection/settings.service.ts';
import { createIncidents } from './features/incidents/incidents.service.ts';
import { createMailer, readCaFile } from './features/detection/smtp.ts';
import { createVendorService } from './features/vendors/vendors.service.ts';
import { createApiKeyService } from './features/api-keys/api-keys.service.ts';
import { createVendorWebhooks } from './features/vendor-webhooks/webhooks.service.ts';
import { createConsentLedger } from './features/consent/consent.service.ts';
import { createErasure } from './features/dsr/erasure.service.ts';
import { createShredStore } from './features/dsr/shred-store.ts';
import { createDsrService } from './features/dsr/dsr.service.ts';
import { createSubjectExport } from './features/dsr/export.service.ts';
import { createLegalHolds } from './features/retention/legal-holds.ts';
import { createRetention } from './features/retention/retention.service.ts';
import { createPrivacyWorker } from './features/retention/privacy-worker.ts';
import { createCollectLinkSweep } from './features/collect/link-sweep.ts';
import { createDlpSettings } from './features/dlp/dlp-settings.ts';
import { createConsentSignals } from './features/consent/signals.ts';
import { createTemplateCategories } from './features/consent/template-categories.ts';
import { createCampaignFeature, lazyCampaignEvents } from './features/campaigns/index.ts';

/**
 * Composes the services of one ChatVault process over one database and one key provider.
 * Nothing here starts a listener; `buildApp` and the CLI use the same runtime.
 */
export async function createRuntime(config: Config, deps: { logger: Logger; clock: Clock }) {
  const provider = config.pkcs11
    ? createPkcs11Provider({ ...config.pkcs11, recoveryDir: config.dataDir })
    : createLocalProvider(config.dataDir);
  const database: DbHandle = await createDb(config);
  await migrateToLatest(database);
  const { db } = database;
  const shred = createShredStore({ dataDir: config.dataDir, provider });
  const keyring = createKeyring({
    db: database.reader,
    provider,
    cacheSize: config.keyCacheSize,
    clock: deps.clock,
    shred,
  });
  const vault = createVault({ keyring });
  const codec = createContactCodec({ vault, keyring });
  const sqliteFile =
    config.database.kind === 'sqlite' && config.database.file !== ':memory:'
      ? config.database.file
      : undefined;
  // Several processes on PostgreSQL (issue 12): singleton jobs and cross-process live updates.
  const singleton = createSingleton({ dialect: database.dialect, database: config.database });
  const liveSignals = createLiveSignals(config.database, deps.logger);
  const audit = createAuditService({
    db,
    dialect: database.dialect,
    keyring,
    vault,
    sqliteFile,
    singleton,
    ...deps,
  });
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
  const consent = createConsentLedger({
    db,
    reader: database.reader,
    keyring,
    audit,
    clock: deps.clock,
    // Every opt-out, whatever its source, reaches vendor webhooks (bound late: created just below).
    onOptOut: (trx, tenantId, contactId) =>
      vendorWebhooks.ingestEvents.optedOut(trx, tenantId, { contactId }),
  });
  const consentSignals = createConsentSignals({ ledger: consent, keyring, clock: deps.clock });
  const vendors = createVendorService({ db, keyring, audit, ...deps });
  const apiKeys = createApiKeyService({ db, keyring, vendors, audit, ...deps });
  const vendorWebhooks = createVendorWebhooks({ db, keyring, apiKeys, contacts, tenants, audit, ...deps });
  const dlpSettings = createDlpSettings({ db, audit, clock: deps.clock });
  const ingest = createIngestService({
    keyring,
    dlp: dlpSettings,
    upsertContact,
    clock: deps.clock,
    consent,
    consentSignals,
    vendorEvents: vendorWebhooks.ingestEvents,
    campaignEvents: lazyCampaignEvents(() => campaigns.events),
  });
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
  const templateCategories = createTemplateCategories({ channels, graph });
  // One per-number send window and pair limit for the process: replies and campaigns share it.
  const sendLimiter = createSendLimiter({ perSecond: config.sendRate });
  // Consent-based campaigns (issue 11): templates, segments, the paced sender (campaigns/README.md).
  const campaigns = createCampaignFeature({
    db,
    dialect: database.dialect,
    channels,
    tenants,
    keyring,
    codec,
    graph,
    consent,
    limiter: sendLimiter,
    audit,
    ...deps,
    onTemplatesChanged: (channelId) => templateCategories.forget(channelId),
  });
  const erasure = createErasure({
    db,
    keyring,
    shred,
    audit,
    blobsDir: path.join(config.dataDir, 'blobs'),
    clock: deps.clock,
  });
  const retention = createRetention({
    db,
    erasure,
    audit,
    blobsDir: path.join(config.dataDir, 'blobs'),
    clock: deps.clock,
  });
  const legalHolds = createLegalHolds({ db, keyring, audit, clock: deps.clock });
  const dsr = createDsrService({
    db,
    keyring,
    contacts,
    erasure,
    collect: createSubjectExport({ db, contacts, keyring, media }),
    audit,
    exportDir: path.join(config.dataDir, 'dsr-exports'),
    clock: deps.clock,
    logger: deps.logger,
  });
  const privacyWorker = createPrivacyWorker({
    db,
    retention,
    erasure,
    dsr,
    collectLinks: createCollectLinkSweep({ db, clock: deps.clock }),
    logger: deps.logger,
  });
  const messaging = createSendService({
    db,
    reader: database.reader,
    keyring,
    clock: deps.clock,
    consent,
    categories: templateCategories,
  });
  const sendMessage = createSendJob({
    db,
    channels,
    tenants,
    keyring,
    codec,
    graph,
    limiter: sendLimiter,
    clock: deps.clock,
    logger: deps.logger,
    consent,
  });
  const keyLifecycle = createKeyLifecycle({
    db,
    dialect: database.dialect,
    keyring,
    provider,
    audit,
    clock: deps.clock,
    logger: deps.logger,
    blobs,
    codec,
    tenants,
    throttle: config.keyJobThrottle,
  });
  const keyWorker = createKeyWorker({ lifecycle: keyLifecycle, provider, logger: deps.logger, singleton });
  const outbox = createOutboxWorker({
    db,
    dialect: database.dialect,
    keyring,
    clock: deps.clock,
    logger: deps.logger,
    handlers: { media_fetch: fetchMedia, send_message: sendMessage, vendor_webhook: vendorWebhooks.deliver },
  });

  // Detection and incident response (issue 10): rules over the audit stream, alerts, incidents.
  const detectionSettings = createDetectionSettings({ db, keyring, vault, clock: deps.clock });
  const mailer = createMailer({
    mode: config.smtp.tls,
    ...(config.smtp.caFile ? { ca: readCaFile(config.smtp.caFile) } : {}),
  });
  const incidents = createIncidents({
    mailer,
    db,
    clock: deps.clock,
    logger: deps.logger,
    audit,
    keyring,
    vault,
    isSealed: () => provider.isSealed(),
    settings: detectionSettings,
    tenants,
    operators,
    admin: auth.admin,
    keys: keyLifecycle,
    vendors: {
      suspendVendor: (t, v, why, actor, ctx) => vendors.suspend(t, v, why, actor, ctx),
      revokeApiKey: (t, k, actor, ctx) => apiKeys.revoke(t, k, actor, ctx),
    },
    seal: (): Promise<void> => runtime.seal(),
    contacts,
    channels,
    graph,
    messaging,
  });
  const detection = createDetection({
    mailer,
    db,
    clock: deps.clock,
    logger: deps.logger,
    settings: detectionSettings,
    audit,
    tenants,
    contacts,
    access,
    keyring,
    vault,
    onAlerts: (trx, alerts) => incidents.openFromAlerts(trx, alerts),
    isSealed: () => provider.isSealed(),
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

  const runtime = {
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
    consent,
    templateCategories,
    campaigns,
    shred,
    erasure,
    retention,
    legalHolds,
    dsr,
    privacyWorker,
    dlpSettings,
    keyLifecycle,
    keyWorker,
    singleton,
    liveSignals,
    vendors,
    apiKeys,
    vendorWebhooks,
    detection,
    incidents,

    /**
     * Drops every key from memory at once; personal data stays unreadable until unsealed with shares.
     * Then records `sys_seal` in every tenant's chain (no key needed); a failure there is logged and
     * never undoes the seal.
     */
    async seal(): Promise<void> {
      provider.seal();
      keyring.clear();
      shred.forget();
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
      await detection.stop();
      await keyWorker.stop();
      await campaigns.sender.stop();
      await outbox.stop();
      await privacyWorker.stop();
      await vendors.stop();
      await audit.stop();
      await singleton.close();
      keyring.clear();
      provider.forget();
      await database.close();
    },
  };
  return runtime;
}

export type Runtime = Awaited<ReturnType<typeof createRuntime>>;

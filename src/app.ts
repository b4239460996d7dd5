import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { ID_PATTERN, newId } from './lib/ids.ts';
import { mapError } from './http/error-mapper.ts';
import { DecryptionError } from './lib/errors.ts';
import { openApiDocument } from './http/openapi.ts';
import { installRouteSecurity, secure } from './http/route-security.ts';
import { accessRoutes } from './features/access/access.routes.ts';
import { incidentRoutes } from './features/incidents/incidents.routes.ts';
import { tenantResource } from './features/access/entities.ts';
import { auditRoutes } from './features/audit/audit.routes.ts';
import { auditCheckRoutes } from './features/audit/verify.routes.ts';
import { consoleRoutes } from './features/console/console.routes.ts';
import { CONSOLE_DIST } from './features/console/build.ts';
import { createContactSearch } from './features/contacts/contact-search.ts';
import { createConversationMessages } from './features/conversations/conversation-messages.service.ts';
import { conversationRoutes } from './features/conversations/conversations.routes.ts';
import { createConversations } from './features/conversations/conversations.service.ts';
import { createInboxSearch } from './features/conversations/search.service.ts';
import { liveRoutes } from './features/live/live.routes.ts';
import { createLiveFeed } from './features/live/live.service.ts';
import { teamRoutes } from './features/team/team.routes.ts';
import { createTeam } from './features/team/team.service.ts';
import { requireActor } from './http/actor.ts';
import { channelRoutes } from './features/channels/channels.routes.ts';
import { mediaRoutes } from './features/media/media.routes.ts';
import { registerAuth } from './features/auth/index.ts';
import { systemRoutes } from './features/system/system.routes.ts';
import { keyRoutes } from './features/keys/keys.routes.ts';
import { webhookRoutes } from './features/whatsapp/ingest/webhook.routes.ts';
import { vendorRoutes } from './features/vendors/vendors.routes.ts';
import { createVendorReports } from './features/vendors/report.service.ts';
import { vendorApiRoutes } from './features/vendor-api/vendor-api.routes.ts';
import { createVendorApi } from './features/vendor-api/vendor-api.service.ts';
import { createCollectKeys } from './features/collect/collect-keys.ts';
import { collectRoutes } from './features/collect/collect.routes.ts';
import { createCollectService } from './features/collect/collect.service.ts';
import { createCollectLimiter } from './features/collect/rate-limit.ts';
import { dlpRoutes } from './features/dlp/dlp.routes.ts';
import { dlpSettingsRoutes } from './features/dlp/dlp-settings.routes.ts';
import { createRestrictedReveal } from './features/dlp/restricted.service.ts';
import { createMetrics } from './features/metrics/metrics.ts';
import { metricsRoutes } from './features/metrics/metrics.routes.ts';
import type { Runtime } from './runtime.ts';
import { consentRoutes } from './features/consent/consent.routes.ts';
import { optInRoutes } from './features/consent/optin.routes.ts';
import { dsrRoutes } from './features/dsr/dsr.routes.ts';
import { retentionRoutes } from './features/retention/retention.routes.ts';
import { campaignRoutes } from './features/campaigns/campaigns.routes.ts';

/**
 * Builds the HTTP application over a runtime: request ids, one error mapper, the feature routes.
 * It composes; it holds no logic of its own.
 */
export function buildApp(runtime: Runtime): FastifyInstance {
  const logger: FastifyBaseLogger = runtime.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: 1024 * 1024,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && ID_PATTERN.test(incoming) ? incoming : newId('rq');
    },
  });
  // Every route must declare its authentication and authorisation (`config.security`), or startup fails.
  installRouteSecurity(app);
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.setErrorHandler((error, request, reply) => {
    // A ciphertext that fails to open was moved or tampered with: detection hears of it (issue 10).
    if (error instanceof DecryptionError && request.actor) {
      runtime.detection
        .recordDecryptFailure(request.actor.tenantId, { type: 'request', id: request.id })
        .catch((failure: unknown) => logger.error({ err: failure }, 'could not record a decryption failure'));
    }
    mapError(error as Error, request, reply);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send({ error: { code: 'not_found', message: 'Route not found' }, requestId: request.id });
  });
  // First, so its timing hook covers every route registered after it.
  metricsRoutes(app, {
    metrics: createMetrics({
      db: runtime.database.reader,
      clock: runtime.clock,
      isSealed: () => runtime.provider.isSealed(),
    }),
    token: runtime.config.metricsToken,
  });
  registerAuth(app, {
    auth: runtime.auth,
    access: runtime.access,
    operators: runtime.operators,
    tenants: runtime.tenants,
    publicUrl: runtime.config.publicUrl,
  });
  // After authentication: audit entries written in a signed-in request carry its session's public id.
  runtime.audit.requestScope.register(app, (request) => request.actor?.sessionId);
  systemRoutes(app, runtime);
  accessRoutes(app, { access: runtime.access, tenants: runtime.tenants });
  incidentRoutes(app, { access: runtime.access, incidents: runtime.incidents, detection: runtime.detection });
  keyRoutes(app, {
    access: runtime.access,
    lifecycle: runtime.keyLifecycle,
    seal: () => runtime.seal(),
    logger: runtime.logger,
  });
  // The auditor's API goes through the same policy decision point as everything else.
  const authorizeAudit = async (
    request: FastifyRequest,
    action: 'readAudit' | 'verifyAudit' | 'exportAudit',
  ) => {
    const session = await runtime.access.session(requireActor(request));
    const resource = tenantResource('AuditLog', session.actor.tenantId);
    await session.enforce(action, resource, {
      type: 'audit_log',
      id: session.actor.tenantId,
      what: 'Audit log',
    });
    return { tenantId: session.actor.tenantId, actorId: session.actor.id };
  };
  auditRoutes(app, { audit: runtime.audit, authorize: (request) => authorizeAudit(request, 'readAudit') });
  auditCheckRoutes(app, { audit: runtime.audit, authorize: authorizeAudit });
  registerConsoleApi(app, runtime);
  mediaRoutes(app, {
    db: runtime.database.db,
    access: runtime.access,
    audit: runtime.audit,
    media: runtime.media,
  });
  channelRoutes(app, {
    db: runtime.database.db,
    access: runtime.access,
    channels: runtime.channels,
    tenants: runtime.tenants,
    graph: runtime.graph,
    audit: runtime.audit,
    clock: runtime.clock,
  });
  webhookRoutes(app, {
    channels: runtime.channels,
    tenants: runtime.tenants,
    ingest: runtime.ingest,
    committer: runtime.committer,
    onRefused: async (channelId, reason, ip, requestId) => {
      const channel = await runtime.channels.get(channelId);
      await runtime.database.db.transaction().execute((trx) =>
        runtime.audit.append(trx, {
          tenantId: channel.tenantId,
          actor: { type: 'system', id: 'whatsapp-webhook' },
          action: reason === 'signature' ? 'authn_token_invalid' : 'input_validation_fail',
          target: { type: 'channel', id: channelId },
          outcome: 'denied',
          clientIp: ip,
          requestId,
        }),
      );
    },
  });
  vendorRoutes(app, {
    access: runtime.access,
    vendors: runtime.vendors,
    apiKeys: runtime.apiKeys,
    webhooks: runtime.vendorWebhooks,
    reports: createVendorReports({
      vendors: runtime.vendors,
      apiKeys: runtime.apiKeys,
      audit: runtime.audit,
    }),
  });
  vendorApiRoutes(app, {
    apiKeys: runtime.apiKeys,
    api: createVendorApi({
      db: runtime.database.db,
      keyring: runtime.keyring,
      contacts: runtime.contacts,
      tenants: runtime.tenants,
      audit: runtime.audit,
      clock: runtime.clock,
    }),
  });
  registerPrivacy(app, runtime);
  campaignRoutes(app, { access: runtime.access, campaigns: runtime.campaigns });
  app.get(
    '/api/openapi.json',
    secure.by('public', 'the published API description; no data'),
    () => openApiDocument,
  );
  consoleRoutes(app, { dir: CONSOLE_DIST });
  return app;
}

/** What the operator console works on: the inbox, search, the team and live updates. */
function registerConsoleApi(app: FastifyInstance, runtime: Runtime): void {
  const db = runtime.database.db;
  const conversations = createConversations({
    db,
    contacts: runtime.contacts,
    audit: runtime.audit,
    clock: runtime.clock,
  });
  conversationRoutes(app, {
    access: runtime.access,
    tenants: runtime.tenants,
    conversations,
    messages: createConversationMessages({
      db,
      conversations,
      contacts: runtime.contacts,
      keyring: runtime.keyring,
      audit: runtime.audit,
      messaging: runtime.messaging,
      channels: runtime.channels,
      graph: runtime.graph,
      dlp: runtime.dlpSettings,
    }),
    search: createInboxSearch({
      db,
      search: createContactSearch({ db, store: runtime.contactStore, codec: runtime.codec }),
      audit: runtime.audit,
    }),
  });
  // Sensitive data (dlp/) and secure collection links (collect/): restricted reveals, links, the form.
  const collect = createCollectService({
    db,
    conversations,
    contacts: runtime.contacts,
    messaging: runtime.messaging,
    tenants: runtime.tenants,
    keyring: runtime.keyring,
    keys: createCollectKeys({ db, provider: runtime.provider }),
    audit: runtime.audit,
    clock: runtime.clock,
    publicUrl: runtime.config.publicUrl,
  });
  collectRoutes(app, {
    access: runtime.access,
    tenants: runtime.tenants,
    collect,
    limiter: createCollectLimiter({ clock: runtime.clock }),
  });
  dlpRoutes(app, {
    access: runtime.access,
    tenants: runtime.tenants,
    reveal: createRestrictedReveal({
      db,
      conversations,
      keyring: runtime.keyring,
      audit: runtime.audit,
      openCollect: (tenantId, messageId, field) => collect.openSubmitted(tenantId, messageId, field),
    }),
  });
  dlpSettingsRoutes(app, { access: runtime.access, tenants: runtime.tenants, settings: runtime.dlpSettings });
  teamRoutes(app, {
    access: runtime.access,
    team: createTeam({ db, operators: runtime.operators, auth: runtime.auth, clock: runtime.clock }),
  });
  liveRoutes(app, {
    db,
    access: runtime.access,
    feed: createLiveFeed({ db, logger: runtime.logger, signals: runtime.liveSignals }),
    sessionIsLive: (id) => runtime.auth.sessions.isLive(id),
    logger: runtime.logger,
  });
}

/** Privacy operations (issue 8): consent, the hosted opt-in page, data-subject requests, retention. */
function registerPrivacy(app: FastifyInstance, runtime: Runtime): void {
  consentRoutes(app, { access: runtime.access, consent: runtime.consent });
  optInRoutes(app, {
    tenants: runtime.tenants,
    contacts: runtime.contacts,
    consent: runtime.consent,
    keyring: runtime.keyring,
    publicUrl: runtime.config.publicUrl,
    clock: runtime.clock,
  });
  dsrRoutes(app, {
    access: runtime.access,
    tenants: runtime.tenants,
    dsr: runtime.dsr,
    publicUrl: runtime.config.publicUrl,
  });
  retentionRoutes(app, { access: runtime.access, retention: runtime.retention, holds: runtime.legalHolds });
}

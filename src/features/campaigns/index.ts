import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Db, Dialect } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import type { ContactCodec } from '../contacts/contact-codec.ts';
import type { ConsentLedger } from '../consent/consent.service.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { GraphClient } from '../whatsapp/graph/graph-client.ts';
import type { SendLimiter } from '../whatsapp/rate-limits.ts';
import { createCampaignEvents, type CampaignEvents } from './campaign-events.ts';
import { createCampaigns } from './campaigns.service.ts';
import { createCampaignSender } from './sender.ts';
import { createSegments } from './segments.service.ts';
import { createCampaignTemplates } from './templates.service.ts';

/** The campaigns feature, composed: templates, segments, campaigns, the sender and the webhook hook. */
export function createCampaignFeature(deps: {
  db: Db;
  dialect: Dialect;
  channels: Pick<ChannelService, 'get' | 'getForTenant'>;
  tenants: Pick<TenantService, 'getById'>;
  keyring: Pick<Keyring, 'openContactKey'>;
  codec: Pick<ContactCodec, 'decryptPhone' | 'decryptName'>;
  graph: Pick<GraphClient, 'listTemplates' | 'sendMessage' | 'phoneNumberFields'>;
  consent: Pick<ConsentLedger, 'isAllowed' | 'record'>;
  /** The process's per-number send window and pair limit, shared with the outbox's replies. */
  limiter: SendLimiter;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
  logger: Logger;
  /** Called when a channel's templates changed (drops the consent feature's category cache). */
  onTemplatesChanged?: (channelId: string) => void;
}) {
  const templates = createCampaignTemplates({ ...deps, onChange: deps.onTemplatesChanged });
  const segments = createSegments(deps);
  return {
    templates,
    segments,
    campaigns: createCampaigns({ ...deps, templates, segments }),
    sender: createCampaignSender({ ...deps, templates }),
    events: createCampaignEvents({ templates, clock: deps.clock, consent: deps.consent }),
  };
}

export type CampaignFeature = ReturnType<typeof createCampaignFeature>;

/** The ingest hook, resolved when called (the runtime builds ingest before the Graph client). */
export function lazyCampaignEvents(get: () => CampaignEvents): Pick<CampaignEvents, 'status' | 'field'> {
  return {
    status: (trx, tenantId, s) => get().status(trx, tenantId, s),
    field: (trx, tenantId, channelId, field, value) => get().field(trx, tenantId, channelId, field, value),
  };
}

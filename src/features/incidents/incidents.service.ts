import type { Clock } from '../../lib/clock.ts';
import { ValidationError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Db } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { createAdminService } from '../auth/admin.service.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import type { ContactService } from '../contacts/contacts.service.ts';
import type { DetectionSettings } from '../detection/settings.service.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { KeyLifecycle } from '../keys/rotation.service.ts';
import type { SendService } from '../messages/send.service.ts';
import type { OperatorService } from '../operators/operators.service.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { Vault } from '../vault/vault.ts';
import type { GraphClient } from '../whatsapp/graph/graph-client.ts';
import { blastRadiusCsv, createBlastRadius, type BlastRadius } from './blast-radius.ts';
import { createFreezes } from './freeze.ts';
import { parseInput } from '../../lib/validation.ts';
import { scopeInput } from './incidents.schema.ts';
import { createIncidentCore, incidentToJson, type Responder } from './incident-core.ts';
import type { Mailer } from '../detection/smtp.ts';
import { createNotices } from './notices.ts';
import { createPlaybooks, type VendorContainment } from './playbooks.ts';
import { regulatorDraft } from './regulator.ts';
import { incidentReportHtml } from './report.ts';
import { incidentDb } from './incidents.table.ts';

/**
 * Incident response: incidents and their timeline, containment playbooks, the blast radius, breach
 * notices (customers, tenant, regulator draft) and the post-incident review that closes them.
 */
export function createIncidents(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  audit: Pick<AuditService, 'append'>;
  keyring: Pick<Keyring, 'tenantKey' | 'contactKey'>;
  vault: Pick<Vault, 'seal' | 'openText'>;
  isSealed: () => boolean;
  settings: DetectionSettings;
  tenants: Pick<TenantService, 'getById'>;
  operators: Pick<OperatorService, 'getById'>;
  admin: Pick<ReturnType<typeof createAdminService>, 'disable'>;
  keys: Pick<KeyLifecycle, 'rotate' | 'runInBackground'>;
  vendors: VendorContainment | undefined;
  seal: () => Promise<void>;
  contacts: Pick<ContactService, 'openOne'>;
  channels: Pick<ChannelService, 'getForTenant'>;
  graph: Pick<GraphClient, 'listTemplates'>;
  messaging: Pick<SendService, 'send'>;
  mailer?: Mailer;
}) {
  const core = createIncidentCore(deps);
  const freezes = createFreezes(deps);
  const blast = createBlastRadius(deps);
  const playbooks = createPlaybooks({ ...deps, core, freezes });
  const notices = createNotices({ ...deps, core });

  /** The incident's blast radius: its suspect over its window (to now while the window is open). */
  async function blastRadiusOf(
    tenantId: string,
    incidentId: string,
    scope: unknown = {},
  ): Promise<BlastRadius> {
    const row = await core.load(deps.db, tenantId, incidentId);
    const s = parseInput(scopeInput, scope);
    const type = s.suspect?.type ?? row.suspect_type;
    const id = s.suspect?.id ?? row.suspect_id;
    if (!type || !id)
      throw new ValidationError('The incident names no suspect: give one (operator, api_key, ip or session)');
    const from = s.from ?? row.window_from ?? row.aware_at;
    const to = s.to ?? row.window_to ?? deps.clock.now().toISOString();
    return blast.compute(
      tenantId,
      type === 'ip'
        ? { clientIp: id, from, to }
        : type === 'session'
          ? { sessionId: id, from, to }
          : { actorType: type as 'operator' | 'api_key' | 'cli' | 'system', actorId: id, from, to },
    );
  }

  async function draftOf(tenantId: string, incidentId: string) {
    const [row, timeline, b, routes, review] = await Promise.all([
      core.load(deps.db, tenantId, incidentId),
      core.timeline(tenantId, incidentId),
      blastRadiusOf(tenantId, incidentId),
      deps.settings.routes(tenantId),
      core.readReview(tenantId, incidentId),
    ]);
    return {
      row,
      timeline,
      blast: b,
      review,
      draft: regulatorDraft({
        incident: incidentToJson(row),
        blast: b,
        timeline,
        routes,
        review,
        now: deps.clock.now(),
      }),
    };
  }

  return {
    ...core,
    freezes,
    playbooks,
    notices,
    blastRadius: blast,
    blastRadiusOf,
    blastRadiusCsv,

    /** Fixes the incident's window end (e.g. once contained), so its blast radius stops moving. */
    async closeWindow(tenantId: string, incidentId: string, at: string, who: Responder): Promise<void> {
      await core.load(deps.db, tenantId, incidentId);
      await deps.db.transaction().execute(async (trx) => {
        await incidentDb(trx)
          .updateTable('incidents')
          .set({ window_to: at })
          .where('id', '=', incidentId)
          .execute();
        await core.record(trx, tenantId, incidentId, who, 'window', { to: at });
      });
    },

    async regulatorDraft(tenantId: string, incidentId: string) {
      return (await draftOf(tenantId, incidentId)).draft;
    },

    async sendCustomerNotices(tenantId: string, incidentId: string, who: Responder) {
      const tenant = await deps.tenants.getById(tenantId);
      return notices.sendToCustomers(tenant, incidentId, await blastRadiusOf(tenantId, incidentId), who);
    },

    async notifyTenant(tenantId: string, incidentId: string, who: Responder) {
      const tenant = await deps.tenants.getById(tenantId);
      return notices.notifyTenant(tenant, incidentId, await blastRadiusOf(tenantId, incidentId), who);
    },

    /** The auditor-readable report (HTML). */
    async reportHtml(tenantId: string, incidentId: string): Promise<string> {
      const d = await draftOf(tenantId, incidentId);
      return incidentReportHtml({
        incident: incidentToJson(d.row),
        timeline: d.timeline,
        blast: d.blast,
        notices: await notices.list(tenantId, incidentId),
        draft: d.draft,
        review: d.review,
      });
    },
  };
}

export type Incidents = ReturnType<typeof createIncidents>;

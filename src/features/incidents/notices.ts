import type { Clock } from '../../lib/clock.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Db } from '../../db/database.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import type { ContactService } from '../contacts/contacts.service.ts';
import { approvedTemplates, type TemplateSummary } from '../conversations/templates.ts';
import type { DetectionSettings } from '../detection/settings.service.ts';
import { createMailer, type Mailer } from '../detection/smtp.ts';
import type { SendService } from '../messages/send.service.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import type { GraphClient } from '../whatsapp/graph/graph-client.ts';
import type { BlastRadius } from './blast-radius.ts';
import type { IncidentCore, Responder } from './incident-core.ts';
import { noticeParameters } from './notice-content.ts';
import { incidentDb } from './incidents.table.ts';

export interface NoticeJson {
  readonly contactId: string;
  readonly language: string;
  readonly channel: 'whatsapp' | 'other_channel';
  readonly messageId: string | null;
  /** The message's delivery state (queued, sent, delivered, read, failed…), null for other channels. */
  readonly status: string | null;
}

/**
 * Breach notices. Customers: each affected customer (canaries excluded) in their own language
 * (`attributes.language`, else the tenant default) through an approved UTILITY template of that
 * language, queued through the outbox like any send (so delivery is tracked on the message), its
 * variables filled with the reference, this customer's data categories, the contact point and the date
 * (`notice-content.ts`); with no such template, a refused send or a customer erased since, the
 * customer is marked for another channel. The tenant: an e-mail with counts only.
 */
export function createNotices(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  core: IncidentCore;
  settings: Pick<DetectionSettings, 'routes'>;
  contacts: Pick<ContactService, 'openOne'>;
  channels: Pick<ChannelService, 'getForTenant'>;
  graph: Pick<GraphClient, 'listTemplates'>;
  messaging: Pick<SendService, 'send'>;
  /** Sends the tenant's e-mail with the deployment's TLS settings (default: opportunistic STARTTLS). */
  mailer?: Mailer;
}) {
  const db = incidentDb(deps.db);
  const sendMail = deps.mailer ?? createMailer();

  async function utilityTemplates(tenantId: string): Promise<TemplateSummary[]> {
    const channel = await deps.db
      .selectFrom('channels')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .executeTakeFirst();
    if (!channel) return [];
    const creds = await deps.channels.getForTenant(tenantId, channel.id);
    try {
      return approvedTemplates(await deps.graph.listTemplates(creds)).filter((t) => t.category === 'UTILITY');
    } catch (error) {
      deps.logger.warn({ err: error, tenantId }, 'breach notices: templates unavailable');
      return [];
    }
  }

  return {
    async sendToCustomers(tenant: Tenant, incidentId: string, blast: BlastRadius, who: Responder) {
      const row = await deps.core.load(deps.db, tenant.id, incidentId);
      deps.core.assertOpen(row);
      const routes = await deps.settings.routes(tenant.id);
      const canaries = new Set(
        (
          await deps.db
            .selectFrom('access_canaries')
            .select('contact_id')
            .where('tenant_id', '=', tenant.id)
            .execute()
        ).map((r) => r.contact_id),
      );
      const done = new Set(
        (
          await db
            .selectFrom('incident_notices')
            .select('contact_id')
            .where('incident_id', '=', incidentId)
            .execute()
        ).map((r) => r.contact_id),
      );
      const templates = await utilityTemplates(tenant.id);
      const reference = incidentId;
      let whatsapp = 0;
      let other = 0;
      for (const c of blast.customers) {
        if (canaries.has(c.contactId) || done.has(c.contactId)) continue;
        // A customer erased since the breach has no record left to message: another channel
        // (e.g. the public notice of Art. 34(3)(c)), in the tenant's default language.
        const opened = await deps.contacts.openOne(tenant, c.contactId).catch((error: unknown) => {
          if (error instanceof NotFoundError) return null;
          throw error;
        });
        const wanted = opened?.contact.attributes.language;
        const language = typeof wanted === 'string' && wanted.length <= 15 ? wanted : routes.defaultLanguage;
        const chosen = routes.noticeTemplates[language];
        const template =
          opened && chosen && templates.find((t) => t.name === chosen.name && t.language === chosen.language);
        let messageId: string | null = null;
        if (template) {
          try {
            const parameters = noticeParameters(template, {
              reference,
              fields: c.fields,
              contact: routes.dpoContact,
              occurred: c.first,
              language,
            });
            const sent = await deps.messaging.send(tenant, c.contactId, {
              type: 'template',
              template: {
                name: template.name,
                language: { code: template.language },
                ...(parameters.length > 0 ? { components: [{ type: 'body', parameters }] } : {}),
              },
            });
            messageId = sent.messageId;
          } catch (error) {
            deps.logger.warn(
              { err: error, incidentId },
              'breach notice could not be queued; marked for another channel',
            );
          }
        }
        await db
          .insertInto('incident_notices')
          .values({
            id: newId('nt'),
            tenant_id: tenant.id,
            incident_id: incidentId,
            contact_id: c.contactId,
            language,
            channel: messageId ? 'whatsapp' : 'other_channel',
            message_id: messageId,
            created_at: deps.clock.now().toISOString(),
          })
          .onConflict((oc) => oc.columns(['incident_id', 'contact_id']).doNothing())
          .execute();
        if (messageId) whatsapp++;
        else other++;
      }
      await deps.db.transaction().execute((trx) =>
        deps.core.record(trx, tenant.id, incidentId, who, 'customer_notices', {
          whatsapp,
          otherChannel: other,
          blastRadiusDigest: blast.digest,
        }),
      );
      return { whatsapp, otherChannel: other };
    },

    /** Every notice of the incident with its message's current delivery state. */
    async list(tenantId: string, incidentId: string): Promise<NoticeJson[]> {
      const rows = await db
        .selectFrom('incident_notices')
        .leftJoin('messages', 'messages.id', 'incident_notices.message_id')
        .select([
          'incident_notices.contact_id as contactId',
          'incident_notices.language as language',
          'incident_notices.channel as channel',
          'incident_notices.message_id as messageId',
          'messages.status as status',
        ])
        .where('incident_notices.tenant_id', '=', tenantId)
        .where('incident_notices.incident_id', '=', incidentId)
        .orderBy('incident_notices.contact_id')
        .execute();
      return rows.map((r) => ({ ...r, status: r.status ?? null }));
    },

    /** Tells the business (the tenant's contacts) by e-mail: counts and the reference, no personal data. */
    async notifyTenant(
      tenant: Tenant,
      incidentId: string,
      blast: BlastRadius,
      who: Responder,
    ): Promise<number> {
      const routes = await deps.settings.routes(tenant.id);
      const row = await deps.core.load(deps.db, tenant.id, incidentId);
      if (!routes.smtp || routes.tenantContacts.length === 0) return 0;
      await sendMail(routes.smtp, {
        from: routes.smtp.from,
        to: routes.tenantContacts,
        subject: `Security incident ${incidentId} (${tenant.name})`,
        text: [
          `A security incident affecting personal data was detected on ${row.aware_at}.`,
          `Reference: ${incidentId}. Current state: ${row.state}.`,
          `Customers affected: ${blast.totals.customers}; records: ${blast.totals.records}; fields: ${blast.totals.fields.join(', ') || 'unknown'}.`,
          `Contact point: ${routes.dpoContact || 'your ChatVault administrator'}.`,
        ].join('\n'),
      });
      await deps.db.transaction().execute((trx) =>
        deps.core.record(trx, tenant.id, incidentId, who, 'tenant_notified', {
          recipients: routes.tenantContacts.length,
        }),
      );
      return routes.tenantContacts.length;
    },
  };
}

export type Notices = ReturnType<typeof createNotices>;

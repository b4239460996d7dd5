import type { Clock } from '../../lib/clock.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import type { Db } from '../../db/database.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import type { GraphClient } from '../whatsapp/graph/graph-client.ts';
import { campaignDb } from './campaigns.table.ts';

type Json = Record<string, unknown>;
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;
const MAX_PAGES = 60;

/** A template as the console and the sender see it. */
export interface CampaignTemplate {
  readonly channelId: string;
  readonly name: string;
  readonly language: string;
  readonly category: string;
  readonly status: string;
  /** `header:image` (a media header), `header:1` (a header text parameter), then body parameter names. */
  readonly parameters: string[];
  readonly body: string;
  readonly usable: boolean;
}

/** A JSON scalar as text ('' for anything else). */
const str = (v: unknown, fallback = ''): string =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback;

const names = (text: unknown): string[] =>
  typeof text === 'string' ? [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!) : [];

/** Parameter names of one Graph API template (header first, then body). */
export function templateParameters(t: Json): { parameters: string[]; body: string } {
  const components = Array.isArray(t.components) ? (t.components as Json[]) : [];
  const header = components.find((c) => c.type === 'HEADER');
  const body = components.find((c) => c.type === 'BODY');
  const parameters: string[] = [];
  if (header && typeof header.format === 'string' && header.format !== 'TEXT')
    parameters.push(`header:${header.format.toLowerCase()}`);
  else for (const n of names(header?.text)) parameters.push(`header:${n}`);
  parameters.push(...names(body?.text));
  return { parameters, body: typeof body?.text === 'string' ? body.text.slice(0, 1024) : '' };
}

/**
 * Message templates per channel, synced from `GET /{waba-id}/message_templates` and kept current by
 * `message_template_status_update` and `template_category_update` webhooks. Only APPROVED ones are usable.
 */
export function createCampaignTemplates(deps: {
  db: Db;
  channels: Pick<ChannelService, 'get' | 'getForTenant'>;
  graph: Pick<GraphClient, 'listTemplates'>;
  clock: Clock;
  onChange?: (channelId: string) => void;
}) {
  const db = campaignDb(deps.db);

  async function sync(tenantId: string, channelId: string): Promise<number> {
    const channel = await deps.channels.getForTenant(tenantId, channelId);
    const now = deps.clock.now().toISOString();
    let after: string | undefined;
    let count = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await deps.graph.listTemplates(channel, after);
      for (const raw of Array.isArray(answer.data) ? (answer.data as Json[]) : []) {
        if (typeof raw.name !== 'string' || typeof raw.language !== 'string') continue;
        const { parameters, body } = templateParameters(raw);
        const row = {
          tenant_id: tenantId,
          channel_id: channelId,
          name: raw.name.slice(0, 512),
          language: raw.language.slice(0, 15),
          meta_id: str(raw.id).slice(0, 64),
          category: str(raw.category, 'MARKETING').toUpperCase().slice(0, 32),
          status: str(raw.status, 'PENDING').toUpperCase().slice(0, 32),
          parameters: JSON.stringify(parameters),
          body,
          synced_at: now,
        };
        await db
          .insertInto('campaign_templates')
          .values(row)
          .onConflict((oc) =>
            oc.columns(['tenant_id', 'channel_id', 'name', 'language']).doUpdateSet({
              meta_id: row.meta_id,
              category: row.category,
              status: row.status,
              parameters: row.parameters,
              body: row.body,
              synced_at: now,
            }),
          )
          .execute();
        count++;
      }
      const paging = (answer.paging ?? {}) as Json;
      const cursors = (paging.cursors ?? {}) as Json;
      if (typeof paging.next !== 'string' || typeof cursors.after !== 'string') break;
      after = cursors.after;
    }
    deps.onChange?.(channelId);
    return count;
  }

  /**
   * Every channel of the tenant, one after the other (the console's sync button). A channel whose sync
   * fails does not keep the others from syncing; the first failure is raised once all were tried.
   */
  async function syncAll(tenantId: string): Promise<{ synced: number; channels: number }> {
    const channels = await deps.db
      .selectFrom('channels')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .execute();
    let synced = 0;
    let failure: Error | undefined;
    for (const { id } of channels) {
      try {
        synced += await sync(tenantId, id);
      } catch (error) {
        failure ??= error instanceof Error ? error : new Error('template sync failed');
      }
    }
    if (failure) throw failure;
    return { synced, channels: channels.length };
  }

  const toTemplate = (r: {
    channel_id: string;
    name: string;
    language: string;
    category: string;
    status: string;
    parameters: string;
    body: string;
  }): CampaignTemplate => ({
    channelId: r.channel_id,
    name: r.name,
    language: r.language,
    category: r.category,
    status: r.status,
    parameters: JSON.parse(r.parameters) as string[],
    body: r.body,
    usable: r.status === 'APPROVED',
  });

  return {
    sync,
    syncAll,

    async list(tenantId: string): Promise<CampaignTemplate[]> {
      const rows = await db
        .selectFrom('campaign_templates')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('name')
        .orderBy('language')
        .execute();
      return rows.map(toTemplate);
    },

    /** The template a campaign names; it must be APPROVED now (checked at start and by the sender). */
    async usable(
      tenantId: string,
      channelId: string,
      name: string,
      language: string,
    ): Promise<CampaignTemplate> {
      const row = await db
        .selectFrom('campaign_templates')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('channel_id', '=', channelId)
        .where('name', '=', name)
        .where('language', '=', language)
        .executeTakeFirst();
      if (!row) throw new NotFoundError('Template');
      const t = toTemplate(row);
      if (!t.usable) throw new ValidationError(`Template ${name} (${language}) is ${t.status}, not APPROVED`);
      return t;
    },

    /** A `message_template_status_update` or `template_category_update` webhook value (inside ingest's trx). */
    async onWebhook(trx: Db, channelId: string, field: string, value: Json): Promise<void> {
      const id = str(value.message_template_id);
      const name = typeof value.message_template_name === 'string' ? value.message_template_name : undefined;
      const language =
        typeof value.message_template_language === 'string' ? value.message_template_language : undefined;
      const set =
        field === 'message_template_status_update' && typeof value.event === 'string'
          ? { status: value.event.toUpperCase().slice(0, 32) }
          : field === 'template_category_update' && typeof value.new_category === 'string'
            ? { category: value.new_category.toUpperCase().slice(0, 32) }
            : undefined;
      if (!set) return;
      let q = campaignDb(trx).updateTable('campaign_templates').set(set).where('channel_id', '=', channelId);
      q =
        name && language
          ? q.where('name', '=', name).where('language', '=', language)
          : q.where('meta_id', '=', id);
      await q.execute();
      deps.onChange?.(channelId);
    },
  };
}

export type CampaignTemplates = ReturnType<typeof createCampaignTemplates>;

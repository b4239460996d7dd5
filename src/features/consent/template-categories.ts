import type { ChannelService } from '../channels/channels.service.ts';
import type { GraphClient } from '../whatsapp/graph/graph-client.ts';

/** How long a channel's template categories are trusted before Meta is asked again. */
export const TEMPLATE_CATEGORY_TTL_MS = 5 * 60_000;
const MAX_PAGES = 60;

type Json = Record<string, unknown>;

/**
 * Which templates are marketing, from Meta's `message_templates` list, cached per channel. A template
 * we cannot classify (unknown name, Meta unreachable) counts as marketing: Meta itself classifies
 * "mixed or unclear" content as marketing, and failing closed only ever asks for an opt-in.
 */
export function createTemplateCategories(deps: {
  channels: Pick<ChannelService, 'get'>;
  graph: Pick<GraphClient, 'listTemplates'>;
}) {
  const cache = new Map<string, { categories: Map<string, string>; until: number }>();

  async function load(channelId: string): Promise<Map<string, string>> {
    const hit = cache.get(channelId);
    if (hit && hit.until > Date.now()) return hit.categories;
    const channel = await deps.channels.get(channelId);
    const categories = new Map<string, string>();
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await deps.graph.listTemplates(channel, after);
      for (const raw of Array.isArray(answer.data) ? (answer.data as unknown[]) : []) {
        const t = (raw ?? {}) as Json;
        if (typeof t.name !== 'string' || typeof t.category !== 'string') continue;
        const language = typeof t.language === 'string' ? t.language : '';
        categories.set(`${t.name}|${language}`, t.category.toUpperCase());
        if (!categories.has(`${t.name}|*`) || t.category.toUpperCase() === 'MARKETING')
          categories.set(`${t.name}|*`, t.category.toUpperCase());
      }
      const paging = (answer.paging ?? {}) as Json;
      const cursors = (paging.cursors ?? {}) as Json;
      if (typeof paging.next !== 'string' || typeof cursors.after !== 'string') break;
      after = cursors.after;
    }
    cache.set(channelId, { categories, until: Date.now() + TEMPLATE_CATEGORY_TTL_MS });
    return categories;
  }

  return {
    /** True unless Meta lists this template (in this language) as utility or authentication. */
    async isMarketing(channelId: string, name: string, language: string): Promise<boolean> {
      let categories: Map<string, string>;
      try {
        categories = await load(channelId);
      } catch {
        return true;
      }
      const category = categories.get(`${name}|${language}`) ?? categories.get(`${name}|*`);
      return category === undefined || category === 'MARKETING';
    },

    /** Drops a channel's cached categories (a `template_category_update` webhook arrived). */
    forget(channelId?: string): void {
      if (channelId === undefined) cache.clear();
      else cache.delete(channelId);
    },
  };
}

export type TemplateCategories = ReturnType<typeof createTemplateCategories>;

import { z } from 'zod';
import { ID_PATTERN } from '../../lib/ids.ts';
import { tag } from '../contacts/contacts.schema.ts';

export const idParam = z.object({ id: z.string().max(40).regex(ID_PATTERN, 'id must be an id') }).strict();

/** Which conversations a list shows: the caller's, nobody's, or (for those who assign) everyone's. */
export const CONVERSATION_VIEWS = ['mine', 'unassigned', 'all'] as const;
export type ConversationView = (typeof CONVERSATION_VIEWS)[number];

export const listQuery = z
  .object({
    view: z.enum(CONVERSATION_VIEWS).default('mine'),
    limit: z.coerce.number().int().min(1).max(100).default(50),
  })
  .strict();
export type ListQuery = z.input<typeof listQuery>;

export const messagesQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(200).default(100) })
  .strict();

export const tagsInput = z.object({ tags: z.array(tag).max(50) }).strict();

/**
 * Search input travels in a POST body, never in a URL (a phone number in a query string would end
 * up in access logs and browser history).
 */
export const searchInput = z.union([
  z.object({ phone: z.string().min(4).max(40) }).strict(),
  z.object({ last4: z.string().regex(/^\d{4}$/, 'exactly four digits') }).strict(),
  z.object({ tag }).strict(),
]);
export type SearchInput = z.infer<typeof searchInput>;

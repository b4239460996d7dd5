import { createHash, createHmac } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import type { Keyring } from '../keys/keyring.ts';

/**
 * A link's token is HMAC-SHA256 of its id under a key derived (HKDF) from the tenant `index` key, so
 * it is never stored: the database keeps only SHA-256(token) to find the link, and the outbound
 * message keeps only a placeholder that the send job expands right before Meta is called.
 */
export async function linkToken(keyring: Pick<Keyring, 'indexKey'>, tenantId: string, linkId: string) {
  const key = await keyring.indexKey(tenantId, 'collect_links', 'token', 'link');
  return createHmac('sha256', key).update(linkId).digest('base64url');
}

export const hashToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** Tokens are 43 base64url characters; anything else is refused before any lookup. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** What a link message stores in place of the token. */
export const tokenPlaceholder = (linkId: string) => `{{collect-token:${linkId}}}`;
const PLACEHOLDER = /\{\{collect-token:([a-z]{2}_[0-9a-z]{26})\}\}/g;

/**
 * The send job's hook: a text message whose body holds a link placeholder gets the token put in,
 * only for a pending link of the same customer (anything else becomes "expired-link"). Every other
 * message is returned as it is, without touching the database.
 */
export async function expandCollectTokens(
  db: Db,
  keyring: Pick<Keyring, 'indexKey'>,
  tenantId: string,
  contactId: string,
  content: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const text = content.text as { body?: unknown } | undefined;
  if (content.type !== 'text' || typeof text?.body !== 'string' || !text.body.includes('{{collect-token:'))
    return content;
  const ids = [...text.body.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  const tokens = new Map<string, string>();
  for (const id of ids) {
    const link = await db
      .selectFrom('collect_links')
      .select(['id'])
      .where('tenant_id', '=', tenantId)
      .where('contact_id', '=', contactId)
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    tokens.set(id, link ? await linkToken(keyring, tenantId, id) : 'expired-link');
  }
  const body = text.body.replace(PLACEHOLDER, (_m, id: string) => tokens.get(id) ?? 'expired-link');
  return { ...content, text: { ...text, body } };
}

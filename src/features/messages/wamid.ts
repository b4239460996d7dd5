import { createHmac } from 'node:crypto';
import type { Keyring } from '../keys/keyring.ts';

/** Keyed hash of a wamid (a wamid embeds the customer's number, so it is never stored in the clear). */
export async function wamidKey(
  keyring: Pick<Keyring, 'indexKey'>,
  tenantId: string,
  wamid: string,
): Promise<Buffer> {
  const key = await keyring.indexKey(tenantId, 'messages', 'wamid', 'exact');
  return createHmac('sha256', key).update(wamid, 'utf8').digest();
}

/** A unique placeholder for an outbound message whose wamid Meta has not given yet. */
export function pendingWamidKey(keyring: Pick<Keyring, 'indexKey'>, tenantId: string, messageId: string) {
  return wamidKey(keyring, tenantId, `pending:${messageId}`);
}

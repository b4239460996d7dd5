import { keyVersionOf } from '../../lib/crypto/aead.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Vault } from '../vault/vault.ts';

/**
 * Justifications typed by staff (break-glass, approval requests) may name people: they are sealed
 * under the tenant `restricted` key, bound to their row, and only opened for those who may see them.
 */
export function createReasonBox(deps: {
  keyring: Pick<Keyring, 'tenantKey'>;
  vault: Pick<Vault, 'seal' | 'openText'>;
}) {
  const field = (tenantId: string, table: string, rowId: string) => ({
    tenantId,
    table,
    column: 'reason',
    rowId,
  });
  return {
    async seal(tenantId: string, table: string, rowId: string, reason: string): Promise<Buffer> {
      const key = await deps.keyring.tenantKey(tenantId, 'restricted');
      return deps.vault.seal(key, field(tenantId, table, rowId), reason);
    },
    async open(tenantId: string, table: string, rowId: string, ciphertext: Uint8Array): Promise<string> {
      const key = await deps.keyring.tenantKey(tenantId, 'restricted', keyVersionOf(ciphertext));
      return deps.vault.openText(key, field(tenantId, table, rowId), ciphertext);
    },
  };
}

export type ReasonBox = ReturnType<typeof createReasonBox>;

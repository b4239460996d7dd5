import { associatedData, open, seal, type AeadKey } from '../../lib/crypto/aead.ts';
import { blindIndex } from '../../lib/crypto/blind-index.ts';
import type { Keyring } from '../keys/keyring.ts';

/** Where a ciphertext lives. It is bound to exactly this place through the AEAD associated data. */
export interface FieldRef {
  readonly tenantId: string;
  readonly table: string;
  readonly column: string;
  readonly rowId: string;
}

/**
 * The field codec every feature uses for personal data: `seal`/`open` bind a value to its row and
 * column; `index` computes a truncated blind index under a per-index derived key.
 */
export function createVault(deps: { keyring: Pick<Keyring, 'indexKey'> }) {
  return {
    /** Encrypts a value under a customer key, bound to `field`. */
    seal(key: AeadKey, field: FieldRef, value: string | Uint8Array): Buffer {
      const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      return seal(key, bytes, adOf(field));
    },

    /** Decrypts a value read from `field`; any other place, key or a flipped bit throws DecryptionError. */
    open(key: AeadKey, field: FieldRef, ciphertext: Uint8Array): Buffer {
      return open(key, ciphertext, adOf(field));
    },

    openText(key: AeadKey, field: FieldRef, ciphertext: Uint8Array): string {
      return open(key, ciphertext, adOf(field)).toString('utf8');
    },

    /** Blind index of an already-normalised value, truncated to `bits`, under `index` key `version`. */
    async index(
      ref: Omit<FieldRef, 'rowId'> & { readonly index: string },
      normalized: string,
      bits: number,
      version: number,
    ): Promise<number> {
      const key = await deps.keyring.indexKey(ref.tenantId, ref.table, ref.column, ref.index, version);
      return blindIndex(key, normalized, bits);
    },
  };
}

export type Vault = ReturnType<typeof createVault>;

function adOf(field: FieldRef): Buffer {
  return associatedData(field.tenantId, field.table, field.column, field.rowId);
}

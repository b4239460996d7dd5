/** No column here holds personal data in the clear: `_ct` columns are AEAD ciphertexts under the
 * contact's own key; `_bidx` columns are truncated blind indexes; `user_key`/`wa_key` are keyed hashes of identities that are unique per row. */
export interface ContactsTable {
  id: string;
  tenant_id: string;
  /** Keyed hash (full HMAC-SHA256) of Meta's business-scoped user id (BSUID), unique per tenant. */
  user_key: Buffer | null;
  /** Keyed hash of the WhatsApp id (usually the phone number), unique per tenant. */
  wa_key: Buffer | null;
  key_version: number;
  /** The customer's current data key, sealed under the tenant `data` key; null once crypto-shredded.
   * Kept in the row so a lookup needs no join; retired versions live in `contact_keys`. */
  key_wrapped: Buffer | null;
  phone_ct: Buffer | null;
  phone_bidx: number | null;
  phone_last4_bidx: number | null;
  /**
   * 1 when the phone number is `+` + the WhatsApp id, so the customer is found by `wa_key` alone and
   * the blind-index probe skips it; 0 otherwise (and for rows written before this column existed).
   * Reveals only that equality, never a number.
   */
  phone_is_wa_id?: number;
  name_ct: Buffer | null;
  email_ct: Buffer | null;
  email_bidx: number | null;
  /**
   * The tenant `index` key version the row's blind indexes were (re)computed under; a re-index job
   * moves it. Optional for writers: the column defaults to 1 (the version every older row used).
   */
  index_version?: number;
  attributes_ct: Buffer | null;
  /**
   * The ISO 3166 country of the phone number (`ZZ`: no phone, or a calling code not in the table),
   * written by the statement that writes the phone, from the plaintext the writer holds. Not
   * identifying; campaign segments and quiet hours read it so they never open a phone number. Null only
   * for customers stored before it existed (the campaigns' legacy backfill fills them in).
   */
  country?: string | null;
  /** JSON array of plain tags; tags are labels chosen by staff and never personal data. */
  tags: string;
  created_at: string;
  updated_at: string;
}

export interface CollectLinksTable {
  id: string;
  tenant_id: string;
  conversation_id: string;
  contact_id: string;
  /** Which form: `delivery_address`, `customs_id`, `invoice`. */
  template: string;
  language: string;
  /** SHA-256 of the link token; the token itself is never stored (it is re-derived to send it). */
  token_hash: Buffer;
  status: 'pending' | 'used' | 'expired';
  created_by: string;
  expires_at: string;
  used_at: string | null;
  /** The message that carries the submitted ciphertext. */
  message_id: string | null;
  created_at: string;
}

export interface CollectSettingsTable {
  tenant_id: string;
  /** JSON `{ en, zh }`: the end-to-end notice sent before a link (staff-written, no personal data). */
  notice: string;
  updated_at: string;
}

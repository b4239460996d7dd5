export interface MediaTable {
  id: string;
  tenant_id: string;
  contact_id: string;
  message_id: string;
  /** The customer key version the blob is stream-encrypted under. */
  key_version: number;
  mime_type: string;
  size_bytes: number;
  created_at: string;
}

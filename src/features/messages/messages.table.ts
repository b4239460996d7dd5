export interface ConversationsTable {
  id: string;
  tenant_id: string;
  contact_id: string;
  channel_id: string;
  last_inbound_at: string | null;
  /** The 24-hour customer service window closes here (last inbound message + 24 h). */
  window_expires_at: string | null;
  unread: number;
  updated_at: string;
}

export interface MessagesTable {
  id: string;
  tenant_id: string;
  conversation_id: string;
  contact_id: string;
  direction: 'inbound' | 'outbound';
  type: string;
  /** Keyed hash of Meta's message id (a wamid embeds the phone number, so it is never stored clear). */
  wamid_key: Buffer;
  /** The whole message object as received (unknown fields kept), sealed under the customer's key. */
  content_ct: Buffer;
  status: string;
  /** Meta's error code when sending failed (e.g. 131026 undeliverable, 132000 template parameters). */
  error_code: number | null;
  sent_at: string;
  created_at: string;
}

export interface MessageStatusesTable {
  tenant_id: string;
  wamid_key: Buffer;
  status: string;
  at: string;
  error_code: number | null;
  pricing_category: string | null;
  created_at: string;
}

export interface ConsentEventsTable {
  id: string;
  tenant_id: string;
  contact_id: string;
  purpose: 'marketing' | 'utility';
  event: 'opt_in' | 'opt_out';
  source: string;
  evidence_ct: Buffer | null;
  at: string;
  created_at: string;
}

export interface ChannelEventsTable {
  id: string;
  tenant_id: string;
  channel_id: string;
  kind: string;
  code: number | null;
  payload_ct: Buffer | null;
  created_at: string;
}

export interface OutboxTable {
  id: string;
  tenant_id: string;
  kind: string;
  idempotency_key: string;
  payload_ct: Buffer;
  status: 'pending' | 'running' | 'done' | 'failed';
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

import type { Kysely } from 'kysely';
import type { TenantsTable } from '../features/tenants/tenants.table.ts';
import type {
  TenantKeysTable,
  ContactKeysTable,
  KeyJobsTable,
  KeyPoliciesTable,
} from '../features/keys/keys.table.ts';
import type { ContactsTable } from '../features/contacts/contacts.table.ts';
import type { OperatorsTable } from '../features/operators/operators.table.ts';
import type {
  AuthEnrollmentsTable,
  AuthPasskeysTable,
  AuthPasswordsTable,
  AuthRecoveryCodesTable,
  AuthSessionsTable,
  AuthSettingsTable,
  AuthThrottleTable,
  AuthTotpTable,
} from '../features/auth/auth.table.ts';
import type { ChannelsTable } from '../features/channels/channels.table.ts';
import type { MediaTable } from '../features/media/media.table.ts';
import type {
  ChannelEventsTable,
  ConsentEventsTable,
  ConversationsTable,
  MessageStatusesTable,
  MessagesTable,
  OutboxTable,
} from '../features/messages/messages.table.ts';
import type {
  AuditCheckpointsTable,
  AuditEntriesTable,
  AuditHeadsTable,
  AuditNodesTable,
} from '../features/audit/audit.table.ts';
import type {
  AccessAssignmentsTable,
  AccessCanariesTable,
  AccessPoliciesTable,
  AccessPolicySetsTable,
  AccessRevealsTable,
  ApprovalRequestsTable,
  BreakGlassGrantsTable,
  TrainingRecordsTable,
} from '../features/access/access.table.ts';
import type { VendorsTable } from '../features/vendors/vendors.table.ts';
import type { VendorApiKeysTable } from '../features/api-keys/api-keys.table.ts';
import type {
  VendorWebhookDeliveriesTable,
  VendorWebhooksTable,
} from '../features/vendor-webhooks/webhooks.table.ts';

import type { ConsentStateTable, PrivacySettingsTable } from '../features/consent/consent.table.ts';
import type { DsrRequestsTable, DsrTombstonesTable } from '../features/dsr/dsr.table.ts';
import type { LegalHoldsTable, RetentionRunsTable } from '../features/retention/retention.table.ts';
import type { CollectLinksTable, CollectSettingsTable } from '../features/collect/collect.table.ts';

/** Every table ChatVault owns; each feature declares its own table types beside its repository. */
export interface Database {
  tenants: TenantsTable;
  tenant_keys: TenantKeysTable;
  contact_keys: ContactKeysTable;
  key_policies: KeyPoliciesTable;
  key_jobs: KeyJobsTable;
  contacts: ContactsTable;
  operators: OperatorsTable;
  auth_passwords: AuthPasswordsTable;
  auth_totp: AuthTotpTable;
  auth_passkeys: AuthPasskeysTable;
  auth_recovery_codes: AuthRecoveryCodesTable;
  auth_sessions: AuthSessionsTable;
  auth_enrollments: AuthEnrollmentsTable;
  auth_throttle: AuthThrottleTable;
  auth_settings: AuthSettingsTable;
  channels: ChannelsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  message_statuses: MessageStatusesTable;
  consent_events: ConsentEventsTable;
  channel_events: ChannelEventsTable;
  outbox: OutboxTable;
  media: MediaTable;
  audit_entries: AuditEntriesTable;
  audit_heads: AuditHeadsTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_nodes: AuditNodesTable;
  access_policy_sets: AccessPolicySetsTable;
  access_policies: AccessPoliciesTable;
  access_assignments: AccessAssignmentsTable;
  access_canaries: AccessCanariesTable;
  break_glass_grants: BreakGlassGrantsTable;
  approval_requests: ApprovalRequestsTable;
  training_records: TrainingRecordsTable;
  access_reveals: AccessRevealsTable;
  collect_links: CollectLinksTable;
  collect_settings: CollectSettingsTable;
  consent_state: ConsentStateTable;
  privacy_settings: PrivacySettingsTable;
  dsr_requests: DsrRequestsTable;
  dsr_tombstones: DsrTombstonesTable;
  legal_holds: LegalHoldsTable;
  retention_runs: RetentionRunsTable;
  vendors: VendorsTable;
  vendor_api_keys: VendorApiKeysTable;
  vendor_webhooks: VendorWebhooksTable;
  vendor_webhook_deliveries: VendorWebhookDeliveriesTable;
}

export type Db = Kysely<Database>;
export type Dialect = 'sqlite' | 'postgres';

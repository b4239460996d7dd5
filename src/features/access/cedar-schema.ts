/**
 * The Cedar schema every policy (default or tenant) is validated against. Times are Unix seconds
 * (`Long`); `context.now` is the decision time from the injected clock. A record's `tenant` is the
 * tenant id as a String, not a `Tenant` entity reference: turning an entity reference into a Cedar
 * value costs the engine about a quarter of a decision. `Tenant::"tn_…"` literals in a policy are read
 * as their id (`tenantLiteralsAsIds` in pdp.ts), so policies written either way mean the same.
 *
 * A contact or conversation is also `in` each operator assigned to it, so `resource in principal`
 * asks "is this one assigned to me?". The default policies ask it that way: a parent costs the engine
 * a fifth of what a set of entity references does. `assignedOperators` holds the same operators for
 * policies that want the set (it is sent to the engine only for actions whose policies read it).
 */
export const CEDAR_SCHEMA = `
entity Tenant;
entity Role;
entity Operator in [Role] {
  tenant: String,
  role: String,
  trainingExpiresAt: Long,
  lastMfaAt: Long,
  breakGlassUntil: Long,
};
entity Workspace { tenant: String };
entity Contact in [Operator] { tenant: String, assignedOperators: Set<Operator>, canary: Bool };
entity Conversation in [Operator] { tenant: String, contact: Contact, assignedOperators: Set<Operator> };
entity Campaign { tenant: String };
entity Vendor { tenant: String };
entity ApiKey { tenant: String };
entity AuditLog { tenant: String };
entity Keyring { tenant: String };
entity ApprovalRequest { tenant: String, requester: Operator, kind: String };

type RequestContext = { now: Long, mfaAgeSeconds: Long, field: String, hasReason: Bool };

action listContacts, exportContacts, readSegments, breakGlass, manageOperators, manageChannels,
  manageAssignments, manageTraining, readPolicies, managePolicies, readGrants
  appliesTo { principal: Operator, resource: Workspace, context: RequestContext };
action readMasked, readClear, revealField, updateContact
  appliesTo { principal: Operator, resource: Contact, context: RequestContext };
action readMessages, sendMessage
  appliesTo { principal: Operator, resource: Conversation, context: RequestContext };
action revealRestricted appliesTo { principal: Operator, resource: Conversation, context: RequestContext };
action manageCampaigns appliesTo { principal: Operator, resource: [Campaign, Workspace], context: RequestContext };
action manageVendors appliesTo { principal: Operator, resource: [Vendor, Workspace], context: RequestContext };
action manageApiKeys appliesTo { principal: Operator, resource: [ApiKey, Workspace], context: RequestContext };
action readAudit, verifyAudit, exportAudit, readIncidents, manageIncidents
  appliesTo { principal: Operator, resource: AuditLog, context: RequestContext };
action manageKeys, destroyKey appliesTo { principal: Operator, resource: Keyring, context: RequestContext };
action approve appliesTo { principal: Operator, resource: ApprovalRequest, context: RequestContext };
action manageConsent, readDataRequests, handleDataRequests
  appliesTo { principal: Operator, resource: Workspace, context: RequestContext };
action manageOwners appliesTo { principal: Operator, resource: Workspace, context: RequestContext };
`;

/** Every action, with the resource type a decision about it names. */
export const ACTION_RESOURCES = {
  listContacts: 'Workspace',
  exportContacts: 'Workspace',
  readSegments: 'Workspace',
  breakGlass: 'Workspace',
  manageOperators: 'Workspace',
  manageChannels: 'Workspace',
  manageAssignments: 'Workspace',
  manageTraining: 'Workspace',
  readPolicies: 'Workspace',
  managePolicies: 'Workspace',
  readGrants: 'Workspace',
  readMasked: 'Contact',
  readClear: 'Contact',
  revealField: 'Contact',
  updateContact: 'Contact',
  readMessages: 'Conversation',
  sendMessage: 'Conversation',
  revealRestricted: 'Conversation',
  manageCampaigns: 'Campaign',
  manageVendors: 'Vendor',
  manageApiKeys: 'ApiKey',
  readAudit: 'AuditLog',
  verifyAudit: 'AuditLog',
  exportAudit: 'AuditLog',
  readIncidents: 'AuditLog',
  manageIncidents: 'AuditLog',
  manageKeys: 'Keyring',
  destroyKey: 'Keyring',
  approve: 'ApprovalRequest',
  manageConsent: 'Workspace',
  readDataRequests: 'Workspace',
  handleDataRequests: 'Workspace',
  manageOwners: 'Workspace',
} as const;

export type ActionId = keyof typeof ACTION_RESOURCES;
export type ResourceType = (typeof ACTION_RESOURCES)[ActionId] | 'Workspace';
export const ACTIONS = Object.keys(ACTION_RESOURCES) as ActionId[];

/** Entity types a policy may name by literal without defeating per-shape decision caching. */
export const SHAPE_SAFE_LITERAL_TYPES: ReadonlySet<string> = new Set(['Action', 'Role', 'Tenant']);

/**
 * The Cedar schema every policy (default or tenant) is validated against. Times are Unix seconds
 * (`Long`); `context.now` is the decision time from the injected clock.
 */
export const CEDAR_SCHEMA = `
entity Tenant;
entity Role;
entity Operator in [Role] {
  tenant: Tenant,
  role: String,
  trainingExpiresAt: Long,
  lastMfaAt: Long,
  breakGlassUntil: Long,
};
entity Workspace { tenant: Tenant };
entity Contact { tenant: Tenant, assignedOperators: Set<Operator>, canary: Bool };
entity Conversation { tenant: Tenant, contact: Contact, assignedOperators: Set<Operator> };
entity Campaign { tenant: Tenant };
entity Vendor { tenant: Tenant };
entity ApiKey { tenant: Tenant };
entity AuditLog { tenant: Tenant };
entity Keyring { tenant: Tenant };
entity ApprovalRequest { tenant: Tenant, requester: Operator, kind: String };

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

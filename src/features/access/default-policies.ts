/**
 * The default policy set: DESIGN.md's role table as Cedar. Each policy is keyed by its stable id
 * (passed to Cedar as a record, so decisions report these ids rather than `policy0…N`). Forbids win
 * over permits; tenants add permits and forbids of their own on top.
 */
export const STEP_UP_MAX_AGE_SECONDS = 300;

const PERSONAL_DATA_ACTIONS =
  'Action::"readClear", Action::"revealField", Action::"exportContacts", Action::"breakGlass", ' +
  'Action::"revealRestricted", Action::"handleDataRequests"';
const STEP_UP_ACTIONS =
  'Action::"revealField", Action::"exportContacts", Action::"breakGlass", Action::"destroyKey", ' +
  'Action::"manageKeys", Action::"manageApiKeys", Action::"managePolicies", Action::"approve", ' +
  'Action::"revealRestricted", Action::"handleDataRequests"';
const REASON_ACTIONS =
  'Action::"revealField", Action::"exportContacts", Action::"breakGlass", Action::"destroyKey", ' +
  'Action::"revealRestricted", Action::"handleDataRequests"';
const ADMIN_ACTIONS =
  'Action::"listContacts", Action::"readMasked", Action::"updateContact", Action::"readSegments", ' +
  'Action::"manageOperators", Action::"manageChannels", Action::"manageVendors", Action::"manageApiKeys", ' +
  'Action::"manageKeys", Action::"destroyKey", Action::"manageAssignments", Action::"manageTraining", ' +
  'Action::"exportContacts", Action::"breakGlass", Action::"readPolicies", Action::"manageIncidents"';

export const DEFAULT_POLICIES: Readonly<Record<string, string>> = {
  // Guards: they hold whatever else is permitted, including by tenant policies.
  'tenant-isolation': `forbid (principal, action, resource) unless { resource.tenant == principal.tenant };`,
  'training-lapsed': `forbid (principal, action in [${PERSONAL_DATA_ACTIONS}], resource)
    when { principal.trainingExpiresAt <= context.now };`,
  'step-up-required': `forbid (principal, action in [${STEP_UP_ACTIONS}], resource)
    when { context.mfaAgeSeconds > ${STEP_UP_MAX_AGE_SECONDS} };`,
  'reason-required': `forbid (principal, action in [${REASON_ACTIONS}], resource) unless { context.hasReason };`,
  'four-eyes': `forbid (principal, action == Action::"approve", resource) when { resource.requester == principal };`,

  // agent: assigned conversations; fields masked unless assigned; reveal an assigned customer's field.
  // `resource in principal`: the contact or conversation is assigned to this agent (cedar-schema.ts).
  'agent-contacts-masked': `permit (principal in Role::"agent", action in [Action::"listContacts", Action::"readMasked"], resource);`,
  'agent-clear-assigned': `permit (principal in Role::"agent", action == Action::"readClear", resource is Contact)
    when { resource in principal && ["phone", "profileName"].contains(context.field) };`,
  'agent-reveal-assigned': `permit (principal in Role::"agent", action in [Action::"revealField", Action::"updateContact"], resource is Contact)
    when { resource in principal };`,
  'agent-conversations-assigned': `permit (principal in Role::"agent", action in [Action::"readMessages", Action::"sendMessage"], resource is Conversation)
    when { resource in principal };`,

  // marketer: segments and counts, masked contacts, campaigns; no message bodies.
  'marketer-campaigns': `permit (principal in Role::"marketer",
    action in [Action::"listContacts", Action::"readMasked", Action::"readSegments", Action::"manageCampaigns"], resource);`,

  // admin (owners are admins too): masked everything; manage people, channels, vendors, keys.
  'admin-manage': `permit (principal in Role::"admin", action in [${ADMIN_ACTIONS}], resource);`,
  'admin-break-glass-active': `permit (principal in Role::"admin", action in [Action::"revealField", Action::"readMessages", Action::"revealRestricted"], resource)
    when { principal.breakGlassUntil > context.now };`,
  // Restricted message parts (cards, IDs, collected forms: dlp/, collect/): owners only by default, with a
  // reason and a fresh second factor; tenants grant agents with a policy of their own (dlp/README.md).
  'owner-reveal-restricted': `permit (principal in Role::"owner", action == Action::"revealRestricted", resource is Conversation);`,

  // auditor: audit log, incidents, reports; no personal data.
  'auditor-audit': `permit (principal in Role::"auditor",
    action in [Action::"readAudit", Action::"verifyAudit", Action::"exportAudit", Action::"readIncidents",
               Action::"readSegments", Action::"readPolicies"], resource);`,

  // owner: as admin, plus the second person for exports and key destruction, and tenant policies.
  'owner-approve': `permit (principal in Role::"owner", action == Action::"approve", resource);`,
  // Privacy operations (consent/, dsr/): consent for marketers and admins; data requests are handled
  // by admins (step-up, reason) and followed by the auditor / data-protection officer.
  'privacy-consent-marketer': `permit (principal in Role::"marketer", action == Action::"manageConsent", resource);`,
  'privacy-consent-admin': `permit (principal in Role::"admin", action == Action::"manageConsent", resource);`,
  'privacy-requests-auditor': `permit (principal in Role::"auditor", action == Action::"readDataRequests", resource);`,
  'privacy-requests-admin': `permit (principal in Role::"admin", action == Action::"readDataRequests", resource);`,
  'privacy-requests-handle': `permit (principal in Role::"admin", action == Action::"handleDataRequests", resource);`,
  'owner-oversight': `permit (principal in Role::"owner", action in [Action::"managePolicies", Action::"readGrants"], resource);`,
  // Operator lifecycle (auth/admin.routes.ts): admins manage operators (manageOperators); inviting,
  // re-enrolling, disabling, unlocking or revoking an owner also needs manageOwners: owners only.
  'owner-manage-owners': `permit (principal in Role::"owner", action == Action::"manageOwners", resource);`,
};

/** Policy ids whose forbid explains a denial to the caller, most specific first. */
export const GUARD_IDS = {
  tenant: 'tenant-isolation',
  training: 'training-lapsed',
  stepUp: 'step-up-required',
  reason: 'reason-required',
  fourEyes: 'four-eyes',
} as const;

import type { OperatorRole } from '../operators/operators.table.ts';
import type { ResourceType } from './cedar-schema.ts';
import type { CedarValue, Entity } from './pdp.ts';

/** What the decision point knows about the operator making a request. Times are Unix seconds (0 = never). */
export interface PrincipalFacts {
  readonly tenantId: string;
  readonly operatorId: string;
  readonly role: OperatorRole;
  readonly trainingExpiresAt: number;
  readonly lastMfaAt: number;
  readonly breakGlassUntil: number;
}

const ref = (type: string, id: string): CedarValue => ({ __entity: { type, id } });
/** A record's tenant: its id as a Cedar String (see CEDAR_SCHEMA). */
const tenantRef = (tenantId: string): string => tenantId;

/** Owners are admins too ("owner: as admin"), so `principal in Role::"admin"` holds for them. */
export function rolesOf(role: OperatorRole): OperatorRole[] {
  return role === 'owner' ? ['owner', 'admin'] : [role];
}

export function operatorEntity(p: PrincipalFacts): Entity {
  return {
    uid: { type: 'Operator', id: p.operatorId },
    attrs: {
      tenant: tenantRef(p.tenantId),
      role: p.role,
      trainingExpiresAt: p.trainingExpiresAt,
      lastMfaAt: p.lastMfaAt,
      breakGlassUntil: p.breakGlassUntil,
    },
    parents: rolesOf(p.role).map((id) => ({ type: 'Role', id })),
  };
}

/** A tenant-wide resource (the contact directory, keyring, audit log…): identified by its tenant. */
export function tenantResource(
  type: Exclude<ResourceType, 'Contact' | 'Conversation' | 'ApprovalRequest'>,
  tenantId: string,
  id = tenantId,
): Entity {
  return { uid: { type, id }, attrs: { tenant: tenantRef(tenantId) }, parents: [] };
}

/** Relationship facts about one customer, loaded per request. */
export interface ContactFacts {
  readonly tenantId: string;
  readonly contactId: string;
  readonly assignedOperators: readonly string[];
  readonly canary: boolean;
}

/** A customer's record is `in` each operator assigned to it (see CEDAR_SCHEMA). */
const assignees = (c: ContactFacts) => c.assignedOperators.map((id) => ({ type: 'Operator', id }));

export function contactEntity(c: ContactFacts): Entity {
  return {
    uid: { type: 'Contact', id: c.contactId },
    attrs: {
      tenant: tenantRef(c.tenantId),
      assignedOperators: c.assignedOperators.map((id) => ref('Operator', id)),
      canary: c.canary,
    },
    parents: assignees(c),
  };
}

/** A conversation's entity and the contact entity it points at (both go in the decision's slice). */
export function conversationEntities(
  conversationId: string,
  contact: ContactFacts,
): { resource: Entity; related: Entity[] } {
  const resource: Entity = {
    uid: { type: 'Conversation', id: conversationId },
    attrs: {
      tenant: tenantRef(contact.tenantId),
      contact: ref('Contact', contact.contactId),
      assignedOperators: contact.assignedOperators.map((id) => ref('Operator', id)),
    },
    parents: assignees(contact),
  };
  return { resource, related: [contactEntity(contact)] };
}

export function approvalEntity(tenantId: string, id: string, requesterId: string, kind: string): Entity {
  return {
    uid: { type: 'ApprovalRequest', id },
    attrs: { tenant: tenantRef(tenantId), requester: ref('Operator', requesterId), kind },
    parents: [],
  };
}

/** Placeholder for "some other operator" in a shape; real ids always start with a letter prefix. */
const OTHER_OPERATOR = '~other';

/**
 * The contact as the principal sees its shape: the same tenant and canary flag, and assignees
 * reduced to {principal if assigned} ∪ {one placeholder if anyone else is}. With a schema-validated,
 * literal-free policy set no policy can tell two contacts of the same shape apart, so one decision
 * serves all of them (see README: decision caching).
 */
export function contactShape(c: ContactFacts, principalId: string): ContactFacts {
  const mine = c.assignedOperators.includes(principalId);
  const others = c.assignedOperators.some((id) => id !== principalId);
  return {
    tenantId: c.tenantId,
    contactId: '~shape',
    assignedOperators: [...(mine ? [principalId] : []), ...(others ? [OTHER_OPERATOR] : [])],
    canary: c.canary,
  };
}

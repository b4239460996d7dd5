const json = (properties: Record<string, unknown>, required: string[] = []) => ({
  content: { 'application/json': { schema: { type: 'object', required, properties } } },
});
const str = { type: 'string' };
const int = { type: 'integer' };
const path = (...names: string[]) => names.map((name) => ({ name, in: 'path', required: true, schema: str }));
const query = (...names: string[]) =>
  names.map((name) => ({ name, in: 'query', required: false, schema: str }));

/** Every access answer: 401 without a session, 403 denied by policy, 404 unknown or another tenant's. */
const denied = {
  '400': { description: 'Invalid input (a missing or too short reason, an invalid policy…)' },
  '401': { description: 'Not signed in, or `step_up_required`: verify a second factor again' },
  '403': { description: 'Denied by policy (`forbidden`), or `training_lapsed`' },
  '404': { description: 'Not found in the caller’s tenant (another tenant’s record is always 404)' },
} as const;
const ok = (description: string) => ({ '200': { description }, ...denied });
const created = (description: string) => ({ '201': { description }, ...denied });
const reason = {
  type: 'string',
  minLength: 10,
  maxLength: 500,
  description: 'at least three words; stored encrypted',
};

/** The access API (see `access.routes.ts`). */
export const accessOpenApiPaths = {
  '/api/v1/contacts': {
    get: {
      summary: 'Contacts, projected for the caller: each personal field clear, masked or withheld',
      parameters: query('cursor', 'limit'),
      responses: ok('{ contacts: [{ id, tags, phone, profileName, email, attributes, views }], nextCursor }'),
    },
  },
  '/api/v1/contacts/{id}': {
    get: { summary: 'One contact, projected', parameters: path('id'), responses: ok('{ contact }') },
  },
  '/api/v1/contacts/{id}/reveal': {
    post: {
      summary: 'Reveal one field in clear, for a reason (fresh second factor; audited as sensitive_read)',
      parameters: path('id'),
      requestBody: json({ field: { enum: ['phone', 'profileName', 'email', 'attributes'] }, reason }, [
        'field',
        'reason',
      ]),
      responses: ok('{ contactId, field, value, visibleForSeconds, revealsLastHour, policyIds }'),
    },
  },
  '/api/v1/access/me': {
    get: {
      summary: 'The caller as the policies see them',
      responses: ok('{ role, trainingCurrent, breakGlassUntil, mfaAgeSeconds, revealsLastHour, … }'),
    },
  },
  '/api/v1/assignments': {
    get: {
      summary: 'Agent ↔ customer assignments (own only, unless admin/owner)',
      parameters: query('contactId', 'operatorId', 'limit'),
      responses: ok('{ assignments }'),
    },
    post: {
      summary: 'Assign a customer to an operator (admin/owner)',
      requestBody: json({ contactId: str, operatorId: str }, ['contactId', 'operatorId']),
      responses: { '204': { description: 'Assigned' }, ...denied },
    },
  },
  '/api/v1/assignments/{contactId}/{operatorId}': {
    delete: {
      summary: 'Unassign (admin/owner)',
      parameters: path('contactId', 'operatorId'),
      responses: { '204': { description: 'Unassigned' }, ...denied },
    },
  },
  '/api/v1/break-glass': {
    get: { summary: 'Break-glass grants (all for owners, own otherwise)', responses: ok('{ grants }') },
    post: {
      summary: 'Take time-bound break-glass access (admin/owner, reason, fresh second factor, ≤ 240 minutes)',
      requestBody: json({ reason, minutes: { ...int, minimum: 5, maximum: 240 } }, ['reason']),
      responses: created('{ grant }'),
    },
  },
  '/api/v1/break-glass/{id}/revoke': {
    post: {
      summary: 'Revoke a grant (owner, or the grantee)',
      parameters: path('id'),
      responses: ok('{ grant }'),
    },
  },
  '/api/v1/approvals': {
    get: {
      summary: 'Four-eyes requests (all for owners, own otherwise)',
      parameters: query('status', 'limit'),
      responses: ok('{ requests }'),
    },
    post: {
      summary: 'Request a bulk export or a key destruction; a second owner must approve within 24 h',
      requestBody: json({ kind: { enum: ['contacts_export', 'key_destroy'] }, payloadRef: str, reason }, [
        'kind',
        'payloadRef',
        'reason',
      ]),
      responses: created('{ request }'),
    },
  },
  '/api/v1/approvals/{id}/approve': {
    post: {
      summary: 'Approve (an owner other than the requester)',
      parameters: path('id'),
      responses: { ...ok('{ request }'), '409': { description: 'Not pending, or expired' } },
    },
  },
  '/api/v1/approvals/{id}/reject': {
    post: {
      summary: 'Reject (an approver), or withdraw (the requester)',
      parameters: path('id'),
      responses: { ...ok('{ request }'), '409': { description: 'Not pending, or expired' } },
    },
  },
  '/api/v1/training': {
    get: {
      summary: 'Training and policy-acknowledgement status (own, or any for admin/owner)',
      parameters: query('operatorId'),
      responses: ok('{ training }'),
    },
    post: {
      summary:
        'Record security training (admin/owner) or one’s own policy acknowledgement; valid 12 months by default',
      requestBody: json(
        {
          operatorId: str,
          kind: { enum: ['security_training', 'policy_ack'] },
          version: str,
          completedAt: str,
          validMonths: int,
          evidenceRef: str,
        },
        ['operatorId', 'kind', 'version'],
      ),
      responses: created('{ record }'),
    },
  },
  '/api/v1/access/policies': {
    get: {
      summary: 'The policy-set version, default policy ids and the tenant’s own Cedar policies',
      responses: ok('{ version, defaults, policies }'),
    },
    post: {
      summary: 'Add one Cedar policy (owner, fresh second factor); validated against the schema',
      requestBody: json({ description: str, text: str }, ['description', 'text']),
      responses: created('{ policy }'),
    },
  },
  '/api/v1/access/policies/{id}/disable': {
    post: { summary: 'Disable a tenant policy (owner)', parameters: path('id'), responses: ok('{ policy }') },
  },
} as const;

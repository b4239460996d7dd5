const bearer = [{ vendorKey: [] }];
const id = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'a per-vendor handle (pid_…)',
  schema: { type: 'string' },
};
const errors = {
  '401': { description: 'No key, unknown key, wrong secret, revoked or expired (details.reason)' },
  '403': {
    description: 'Outside the IP allowlist, vendor suspended, or outside the key scope (details.reason)',
  },
  '404': { description: 'Unknown handle' },
  '429': { description: 'Per-key rate limit reached; see Retry-After' },
} as const;

/** The vendor-facing API (see `vendor-api.routes.ts`): `Authorization: Bearer cv_<env>_<id>_<secret>`. */
export const vendorOpenApiPaths = {
  '/api/vendor/v1/me': {
    get: {
      summary: 'The key: vendor, scopes, effective field allowlist',
      security: bearer,
      responses: { '200': { description: 'The key' }, ...errors },
    },
  },
  '/api/vendor/v1/contacts': {
    get: {
      summary: 'Customers, 100 per page, fields per the key allowlist (contacts:read)',
      security: bearer,
      parameters: [
        { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', maximum: 100 } },
      ],
      responses: { '200': { description: '{ contacts, nextCursor }' }, ...errors },
    },
  },
  '/api/vendor/v1/contacts/{id}': {
    get: {
      summary: 'One customer (contacts:read)',
      security: bearer,
      parameters: [id],
      responses: { '200': { description: '{ contact }' }, ...errors },
    },
  },
  '/api/vendor/v1/contacts/{id}/tags': {
    post: {
      summary: 'Add a tag { tag } (contacts:write)',
      security: bearer,
      parameters: [id],
      responses: { '200': { description: '{ contact }' }, ...errors },
    },
  },
  '/api/vendor/v1/conversations/{id}/messages': {
    get: {
      summary: 'Recent messages; bodies only with messageBody: clear (messages:read)',
      security: bearer,
      parameters: [id],
      responses: { '200': { description: '{ messages }' }, ...errors },
    },
  },
} as const;

const q = (name: string, description: string, type: 'string' | 'integer' = 'string', required = false) => ({
  name,
  in: 'query',
  required,
  description,
  schema: { type },
});

const errors = {
  '400': { description: 'Invalid query' },
  '401': { description: 'Not signed in' },
  '403': { description: 'Not an auditor' },
} as const;

/** The auditor's API (see `audit.routes.ts`); every answer concerns the caller's own tenant. */
export const auditOpenApiPaths = {
  '/api/v1/audit/entries': {
    get: {
      summary: 'Audit entries, newest first, filtered and keyset-paged on seq (ids and ciphertexts only)',
      parameters: [
        q('actorType', 'operator | api_key | system | cli'),
        q('actorId', 'who acted'),
        q('action', 'OWASP event name, e.g. sensitive_read'),
        q('targetType', 'what kind of thing was acted on'),
        q('targetId', 'which one'),
        q('sessionId', 'the public id of the sign-in session the entries were written in'),
        q('from', 'ISO time, inclusive'),
        q('to', 'ISO time, exclusive'),
        q('order', 'asc | desc (default desc)'),
        q('cursor', 'nextCursor of the previous page', 'integer'),
        q('limit', '1–500, default 100', 'integer'),
      ],
      responses: { '200': { description: '{ entries, nextCursor }' }, ...errors },
    },
  },
  '/api/v1/audit/checkpoints': {
    get: {
      summary:
        'Signed checkpoints (tree size, Merkle root, chain head, time, key version, Ed25519 signature)',
      parameters: [q('cursor', 'nextCursor of the previous page', 'integer'), q('limit', '1–500', 'integer')],
      responses: { '200': { description: '{ checkpoints, nextCursor }' }, ...errors },
    },
  },
  '/api/v1/audit/proofs/inclusion': {
    get: {
      summary: 'RFC 9162 inclusion proof of one entry in a tree size (default: the latest checkpoint)',
      parameters: [
        q('seq', 'the entry', 'integer', true),
        q('treeSize', 'tree size to prove against', 'integer'),
      ],
      responses: {
        '200': { description: 'entry, previousHash, leafHash, path, rootHash, checkpoint' },
        ...errors,
      },
    },
  },
  '/api/v1/audit/proofs/consistency': {
    get: {
      summary: 'RFC 9162 consistency proof: the tree of `second` entries extends the tree of `first`',
      parameters: [
        q('first', 'older tree size', 'integer', true),
        q('second', 'newer tree size', 'integer', true),
      ],
      responses: { '200': { description: 'firstRoot, secondRoot, path, checkpoints' }, ...errors },
    },
  },
} as const;

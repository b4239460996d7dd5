const errors = {
  '400': { description: 'Invalid input (one-line reason)' },
  '401': { description: 'Not signed in, or a fresh second factor is needed' },
  '403': { description: 'Not allowed by policy' },
  '404': { description: 'Not found in your tenant' },
} as const;
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } } as const;
const json = (description: string) => ({ description, content: { 'application/json': {} } });

/** Consent, data-subject requests and retention (issue 8): `consent/`, `dsr/`, `retention/`. */
export const privacyOpsOpenApiPaths = {
  '/api/v1/consent/import': {
    post: {
      summary: 'Import opt-ins/opt-outs with evidence (manageConsent); evidence is stored encrypted',
      requestBody: json(
        '{ items: [{ contactId, purpose: marketing|utility, event?, at, evidence: { method, text?, reference? } }] }',
      ),
      responses: { '201': json('{ recorded }'), ...errors },
    },
  },
  '/api/v1/contacts/{id}/consent': {
    get: {
      summary: "A customer's consent history with evidence and the derived state (audited read)",
      parameters: [id],
      responses: { '200': json('{ contactId, canSend: { marketing, utility }, events }'), ...errors },
    },
  },
  '/api/v1/consent/settings': {
    get: {
      summary: 'Opt-out/opt-in keywords, confirmation replies, opt-in page purpose',
      responses: { '200': json('settings'), ...errors },
    },
    put: {
      summary: 'Replace the consent settings',
      requestBody: json('settings'),
      responses: { '200': json('settings'), ...errors },
    },
  },
  '/optin/{slug}': {
    get: {
      summary: 'The hosted opt-in page of a tenant (HTML, strict CSP)',
      responses: { '200': { description: 'HTML form' } },
    },
    post: {
      summary: 'Submit the opt-in form (CSRF token + cookie)',
      responses: { '200': { description: 'HTML' }, '403': { description: 'CSRF' } },
    },
  },
  '/api/v1/dsr/requests': {
    get: {
      summary: 'Data-subject requests with deadline clocks (readDataRequests)',
      responses: { '200': json('{ requests }'), ...errors },
    },
    post: {
      summary: 'Record a request: access | erasure | rectification (handleDataRequests: step-up, reason)',
      requestBody: json('{ contactId, type, reason, receivedAt? }'),
      responses: { '201': json('request'), ...errors },
    },
  },
  '/api/v1/dsr/requests/{id}': {
    get: { summary: 'One request', parameters: [id], responses: { '200': json('request'), ...errors } },
  },
  '/api/v1/dsr/requests/{id}/execute': {
    post: {
      summary:
        'Carry out a request: access → one-time link + passphrase (shown once); erasure → crypto-shred; rectification → fields',
      parameters: [id],
      requestBody: json('{ reason, fields? }'),
      responses: { '200': json('outcome'), '409': { description: 'Already completed' }, ...errors },
    },
  },
  '/api/v1/dsr/settings': {
    get: {
      summary: 'Regime and deadline days',
      responses: { '200': json('{ regime, deadlineDays, downloadTtlMinutes }'), ...errors },
    },
    put: {
      summary: 'Set regime and deadline days',
      requestBody: json('settings'),
      responses: { '200': json('settings'), ...errors },
    },
  },
  '/dsr/download/{token}': {
    get: {
      summary: "The customer's one-time download of an encrypted archive (no session; the token is the key)",
      parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '200': { description: 'application/octet-stream' },
        '404': { description: 'Used, expired or unknown' },
      },
    },
  },
  '/api/v1/retention/policy': {
    get: {
      summary: 'Retention policy (null = keep)',
      responses: { '200': json('{ messageBodyDays, mediaDays, inactiveCustomerDays }'), ...errors },
    },
    put: {
      summary: 'Set the retention policy',
      requestBody: json('policy'),
      responses: { '200': json('policy'), ...errors },
    },
  },
  '/api/v1/retention/run': {
    post: {
      summary: 'Run or resume the purge now',
      responses: { '200': json('{ runId, done, counts }'), ...errors },
    },
  },
  '/api/v1/contacts/{id}/legal-hold': {
    put: {
      summary: 'Place a legal hold (suspends purging and erasure)',
      parameters: [id],
      requestBody: json('{ reason }'),
      responses: { '204': { description: 'Held' }, ...errors },
    },
    delete: {
      summary: 'Release a legal hold',
      parameters: [id],
      responses: { '204': { description: 'Released' }, ...errors },
    },
  },
} as const;

const json = (properties: Record<string, unknown>, required: string[] = []) => ({
  content: { 'application/json': { schema: { type: 'object', required, properties } } },
});
const str = { type: 'string' };
const path = (...names: string[]) => names.map((name) => ({ name, in: 'path', required: true, schema: str }));
const tokenHeader = [{ name: 'x-collect-token', in: 'header', required: true, schema: str }];
const gone = {
  '404': { description: 'Unknown, used or expired link (one answer for all three)' },
  '429': {
    description:
      'Too many requests from this address (120/min) or with this link (30 per 10 min); Retry-After in seconds',
  },
};

/** Restricted reveals (dlp/) and secure collection links (collect/). */
export const privacyDataOpenApiPaths = {
  '/api/v1/conversations/{id}/messages/{messageId}/restricted': {
    post: {
      summary:
        'Reveal the restricted part of a message (cut-out numbers or a secure form): Cedar revealRestricted, ' +
        'reason and fresh second factor; audited as sensitive_read',
      parameters: path('id', 'messageId'),
      requestBody: json({ reason: { type: 'string', minLength: 5, maxLength: 500 } }, ['reason']),
      responses: {
        '200': { description: '{ messageId, kinds, spans?: [{ kind, placeholder, value }], fields? }' },
        '400': { description: 'Missing or too short reason' },
        '401': { description: 'Not signed in, or step_up_required' },
        '403': { description: 'Denied by policy or training lapsed' },
        '404': { description: 'No such conversation, message or restricted field' },
      },
    },
  },
  '/api/v1/conversations/{id}/messages': {
    post: {
      summary:
        'Reply (see the console API). A reply with card, ID, IBAN, bank-account or passport numbers is refused ' +
        'with 422 { error.details.kinds } unless it carries dlpOverride: { reason } (audited), or — as the ' +
        'tenant DLP settings say — sent masked or as typed with a warning (dlp: { action, kinds })',
      parameters: path('id'),
      responses: {
        '202': { description: '{ messageId, conversationId, dlp?: { action: mask | warn, kinds } }' },
        '422': { description: 'Sensitive data in the reply; the kinds are named, never the data' },
      },
    },
  },
  '/api/v1/conversations/{id}/collect-links': {
    post: {
      summary: 'Send the end-to-end notice and a one-time secure form link (sendMessage; audited)',
      parameters: path('id'),
      requestBody: json(
        {
          template: { enum: ['delivery_address', 'customs_id', 'invoice'] },
          language: { enum: ['en', 'zh'] },
          expiresInMinutes: { type: 'integer', minimum: 5, maximum: 120 },
        },
        ['template'],
      ),
      responses: { '201': { description: '{ linkId, template, expiresAt, messageId }' } },
    },
  },
  '/api/v1/dlp/settings': {
    get: {
      summary: 'The tenant DLP settings (manageChannels): detectors on/off and the reply action',
      responses: {
        '200': { description: '{ detectors: { card, cn_id, iban, bank_account, passport }, outbound }' },
      },
    },
    put: {
      summary:
        'Replace the DLP settings (manageChannels; audited as policy_change). Inbound messages are always cut ' +
        'for the enabled detectors; outbound: block (default) | mask | warn',
      requestBody: json({
        detectors: {
          type: 'object',
          properties: Object.fromEntries(
            ['card', 'cn_id', 'iban', 'bank_account', 'passport'].map((k) => [k, { type: 'boolean' }]),
          ),
        },
        outbound: { enum: ['block', 'mask', 'warn'] },
      }),
      responses: { '200': { description: 'The saved settings' }, '400': { description: 'Invalid settings' } },
    },
  },
  '/api/v1/collect/notice': {
    get: {
      summary: 'The tenant notice texts (manageChannels)',
      responses: { '200': { description: '{ notice }' } },
    },
    put: {
      summary: 'Set the tenant notice texts; {purpose} is filled in per form (manageChannels; audited)',
      requestBody: json({ notice: { type: 'object', properties: { en: str, zh: str } } }, ['notice']),
      responses: { '200': { description: '{ notice }' } },
    },
  },
  '/collect/form': {
    get: {
      summary: 'The hosted form: fields and the tenant collect public key (SPKI, base64) to encrypt to',
      parameters: tokenHeader,
      responses: {
        '200': { description: '{ linkId, language, title, purpose, fields, publicKey, keyVersion }' },
        ...gone,
      },
    },
  },
  '/collect/submit': {
    post: {
      summary: 'Submit the browser-encrypted envelope (ECDH P-256 + HKDF-SHA256 + AES-256-GCM); single use',
      parameters: tokenHeader,
      requestBody: json({ v: { const: 1 }, kv: { type: 'integer' }, epk: str, iv: str, ct: str }, [
        'v',
        'kv',
        'epk',
        'iv',
        'ct',
      ]),
      responses: {
        '204': { description: 'Stored as ciphertext' },
        '400': { description: 'Malformed envelope' },
        ...gone,
      },
    },
  },
};

/** The sign-in paths of the published HTTP contract (spread into `src/http/openapi.ts`). */
const json = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({
  content: { 'application/json': { schema: { type: 'object', required, properties } } },
});
const str = { type: 'string' };
const op = (summary: string, responses: Record<string, string>, requestBody?: unknown) => ({
  post: {
    summary,
    ...(requestBody ? { requestBody } : {}),
    responses: Object.fromEntries(Object.entries(responses).map(([k, v]) => [k, { description: v }])),
  },
});
const CSRF = 'Cookie-authenticated: send the `x-csrf-token` header from the last answer that gave one.';

export const authOpenApiPaths = {
  '/api/v1/auth/login': op(
    'Step 1: password. Sets a 5-minute pre-auth cookie; answers `{ next: "mfa", methods, csrfToken }`',
    {
      '200': 'Second factor needed',
      '401': 'Wrong tenant, e-mail or password (one answer)',
      '429': 'Throttled',
    },
    json({ tenant: str, email: str, password: str }),
  ),
  '/api/v1/auth/mfa/totp': op(
    'Step 2 with a TOTP code; sets `__Host-cv_session`. ' + CSRF,
    {
      '200': 'Signed in',
      '401': 'Not accepted',
      '429': 'Throttled',
    },
    json({ code: str }),
  ),
  '/api/v1/auth/mfa/recovery': op(
    'Step 2 with a single-use recovery code. ' + CSRF,
    { '200': 'Signed in', '401': 'Not accepted' },
    json({ code: str }),
  ),
  '/api/v1/auth/mfa/webauthn/options': op('Step 2: WebAuthn request options. ' + CSRF, {
    '200': 'PublicKeyCredentialRequestOptionsJSON',
  }),
  '/api/v1/auth/mfa/webauthn/verify': op(
    'Step 2 with a passkey assertion. ' + CSRF,
    { '200': 'Signed in', '401': 'Not accepted' },
    json({ response: { type: 'object' } }),
  ),
  '/api/v1/auth/logout': op('Ends this session. ' + CSRF, { '204': 'Signed out' }),
  '/api/v1/me': {
    get: {
      summary: 'The signed-in operator, the session and its CSRF token',
      responses: { '200': { description: 'Me' }, '401': { description: 'Not signed in' } },
    },
  },
  '/api/v1/auth/step-up/totp': op(
    'Re-verify a factor (new session id). ' + CSRF,
    { '200': 'Fresh', '401': 'Not accepted' },
    json({ code: str }),
  ),
  '/api/v1/auth/step-up/webauthn/options': op('Step-up WebAuthn options. ' + CSRF, { '200': 'Options' }),
  '/api/v1/auth/step-up/webauthn/verify': op(
    'Step-up with a passkey. ' + CSRF,
    { '200': 'Fresh' },
    json({ response: { type: 'object' } }),
  ),
  '/api/v1/auth/enroll/start': op(
    'Use a one-time enrollment link token; sets a 30-minute enrollment cookie',
    { '200': 'Enrolling', '401': 'Link used or expired' },
    json({ token: str }),
  ),
  '/api/v1/auth/enroll/password': op(
    'Set the password (refused with a reason). ' + CSRF,
    { '204': 'Set', '400': 'Refused' },
    json({ password: str }),
  ),
  '/api/v1/auth/enroll/totp': op('A new TOTP secret and otpauth URI. ' + CSRF, { '200': '{ secret, uri }' }),
  '/api/v1/auth/enroll/totp/confirm': op(
    'Confirm the app with a code. ' + CSRF,
    { '204': 'Confirmed' },
    json({ code: str }),
  ),
  '/api/v1/auth/enroll/webauthn/options': op('Passkey registration options. ' + CSRF, { '200': 'Options' }),
  '/api/v1/auth/enroll/webauthn/verify': op(
    'Register a named passkey. ' + CSRF,
    { '200': '{ id }' },
    json({ name: str, response: { type: 'object' } }),
  ),
  '/api/v1/auth/enroll/finish': op('Activate; answers the 10 recovery codes once. ' + CSRF, {
    '200': '{ recoveryCodes }',
    '409': 'Incomplete',
  }),
  '/api/v1/auth/password': op(
    'Change the password (current one required); other sessions end. ' + CSRF,
    { '200': 'New session' },
    json({ currentPassword: str, newPassword: str }),
  ),
  '/api/v1/auth/sessions/revoke-others': op('Sign out every other session. ' + CSRF, {
    '200': '{ revoked }',
  }),
  '/api/v1/auth/recovery-codes': op('New recovery codes (step-up required). ' + CSRF, {
    '200': '{ recoveryCodes }',
    '401': 'step_up_required',
  }),
  '/api/v1/auth/passkeys': op('Register another passkey (step-up required). ' + CSRF, { '200': '{ id }' }),
  '/api/v1/operators': op(
    'Admin: create a pending operator and its enrollment link (step-up). ' + CSRF,
    { '201': '{ operator, enrollmentUrl, expiresAt }' },
    json({ email: str, role: str, name: str }, ['email', 'role']),
  ),
  '/api/v1/operators/{id}/disable': op('Admin: disable; all sessions end (step-up). ' + CSRF, {
    '204': 'Disabled',
  }),
  '/api/v1/operators/{id}/sessions/revoke': op('Admin: end every session of an operator. ' + CSRF, {
    '200': '{ revoked }',
  }),
  '/api/v1/operators/{id}/unlock': op('Admin: clear the failure counter (incl. the hard stop). ' + CSRF, {
    '200': '{ cleared }',
  }),
  '/api/v1/operators/{id}/enrollment': op('Admin: a new link; resets an active operator (step-up). ' + CSRF, {
    '200': '{ enrollmentUrl }',
  }),
} as const;

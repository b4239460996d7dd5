import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Keys whose values are never written to a log, wherever they appear (two levels deep). */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-hub-signature-256',
  'x-api-key',
  'password',
  'token',
  'accessToken',
  'appSecret',
  'verifyToken',
  'secret',
  'share',
  'shares',
  'key',
  'phone',
  'email',
  'name',
  'profileName',
  'waId',
  'wa_id',
  'body',
  'text',
  'attributes',
  'reason',
];

const redactPaths = SECRET_KEYS.flatMap((key) => {
  const leaf = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `["${key}"]`;
  return [leaf.replace(/^\./, ''), `*${leaf}`, `*.*${leaf}`];
});

const PHONE_LIKE = /\+?\d[\d ().-]{5,}\d/g;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const EMAIL_LIKE = /[^\s@"'<>]+@[^\s@"'<>]+\.[A-Za-z]{2,}/g;

/** Scrubs anything shaped like a phone number or an e-mail address out of free text. */
export function scrubText(text: string): string {
  return text
    .replace(EMAIL_LIKE, '[email]')
    .replace(PHONE_LIKE, (match) =>
      IPV4.test(match) || match.replace(/\D/g, '').length < 7 ? match : '[number]',
    );
}

/**
 * The product logger: JSON lines, secrets and personal fields censored by key, and phone- or
 * e-mail-shaped text scrubbed from messages, so a careless interpolation cannot leak them.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a: unknown) => (typeof a === 'string' ? scrubText(a) : a));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      serializers: {
        err: (err: Error & { code?: string }) => ({
          type: err.name,
          code: err.code,
          message: scrubText(err.message),
          stack: err.stack ? scrubText(err.stack) : undefined,
        }),
        req: (req: { id?: string; method?: string; url?: string; ip?: string }) => ({
          id: req.id,
          method: req.method,
          path: (req.url ?? '').split('?')[0],
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    destination,
  );
}

import { createHmac } from 'node:crypto';

/**
 * Meta's escaping on top of JSON: every non-ASCII UTF-16 unit as `\uXXXX` (lower-case hex, so
 * emoji become surrogate pairs), `/` as `\/`, and `<`, `>`, `%`, `@` as upper-case `\u00XX`
 * (PHP `json_encode` with `JSON_HEX_TAG`). These characters only ever occur inside JSON strings,
 * so rewriting the serialised text is safe.
 */
const ESCAPED = /[\u0080-\uffff/<>%@]/g;

function escapeUnit(unit: string): string {
  if (unit === '/') return '\\/';
  const code = unit.charCodeAt(0);
  const hex = code.toString(16).padStart(4, '0');
  return code < 0x80 ? `\\u${hex.toUpperCase()}` : `\\u${hex}`;
}

/**
 * Serialises a value the way Meta does for webhook bodies and Graph API answers. A receiver that
 * re-serialises the parsed JSON gets different bytes, and so a different signature.
 * @example metaJson({ name: 'Zoë/<3' }) // '{"name":"Zo\\u00eb\\/\\u003C3"}'
 */
export function metaJson(value: unknown): string {
  return JSON.stringify(value).replace(ESCAPED, escapeUnit);
}

/** `sha256=<lower-case hex HMAC-SHA256(appSecret, bytes)>`: the `X-Hub-Signature-256` header value. */
export function signBody(appSecret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

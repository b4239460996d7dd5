import { associatedData, keyVersionOf, open, seal, type AeadKey } from '../../lib/crypto/aead.ts';
import type { Keyring } from '../keys/keyring.ts';
import { RESTRICTED_KINDS, kindsOf, redact, type RestrictedSpan } from './redact.ts';
import type { FindingKind } from './scanner.ts';

/**
 * The `restricted` field of a stored message object: which kinds were cut out (shown as
 * placeholders, readable by anyone who reads the message) and the cut-out spans, sealed twice —
 * under the customer's key (so erasing the customer shreds them) and then under the tenant
 * `restricted` key (so reading them needs that key too, and a stricter permission).
 */
export interface RestrictedField {
  readonly v: 1;
  readonly scheme: 'dlp' | 'collect';
  readonly kinds: readonly string[];
  /** base64 of seal(restricted, seal(customer, payload)) — or, for `collect`, of the browser's envelope. */
  readonly ct: string;
}

type Json = Record<string, unknown>;

/** Where the text of a message lives: `text.body`, or the caption of a media message. */
const TEXT_PATHS: Readonly<Record<string, string>> = {
  text: 'body',
  image: 'caption',
  video: 'caption',
  document: 'caption',
};

const restrictedAd = (tenantId: string, messageId: string) =>
  associatedData(tenantId, 'messages', 'restricted', messageId);

/**
 * The message object to store: unchanged when its text holds nothing restricted (the common case
 * costs one scan), otherwise a copy whose text shows placeholders and whose `restricted` field
 * holds the sealed spans. A `restricted` field arriving from outside is always dropped. `kinds`: the
 * tenant's enabled detectors (dlp-settings.ts), all restricted kinds by default.
 */
export async function restrictMessage<T extends Json>(
  keyring: Pick<Keyring, 'tenantKey'>,
  tenantId: string,
  messageId: string,
  customerKey: AeadKey,
  message: T,
  kinds: ReadonlySet<FindingKind> = RESTRICTED_KINDS,
): Promise<T> {
  const type = typeof message.type === 'string' ? message.type : '';
  const field = TEXT_PATHS[type];
  const part = field ? (message[type] as Json | undefined) : undefined;
  const text = part && field ? part[field] : undefined;
  const cut = typeof text === 'string' ? redact(text, kinds) : null;
  if (!cut) {
    if (!('restricted' in message)) return message;
    const rest: Json = { ...message };
    delete rest.restricted;
    return rest as T;
  }
  const ad = restrictedAd(tenantId, messageId);
  const restrictedKey = await keyring.tenantKey(tenantId, 'restricted');
  const inner = seal(customerKey, Buffer.from(JSON.stringify(cut.spans)), ad);
  const restricted: RestrictedField = {
    v: 1,
    scheme: 'dlp',
    kinds: kindsOf(cut.spans),
    ct: seal(restrictedKey, inner, ad).toString('base64'),
  };
  return { ...message, [type]: { ...part, [field!]: cut.text }, restricted };
}

/** The kinds of a stored message's restricted field, or undefined (what a message view shows). */
export function restrictedKinds(content: Json): readonly string[] | undefined {
  const r = content.restricted as Partial<RestrictedField> | undefined;
  if (!r || typeof r !== 'object' || !Array.isArray(r.kinds)) return undefined;
  return r.kinds.filter((k): k is string => typeof k === 'string').slice(0, 10);
}

/** The stored restricted field, validated in shape (not yet opened). */
export function restrictedFieldOf(content: Json): RestrictedField | undefined {
  const r = content.restricted as Partial<RestrictedField> | undefined;
  if (!r || typeof r !== 'object' || r.v !== 1 || typeof r.ct !== 'string' || !Array.isArray(r.kinds))
    return undefined;
  if (r.scheme !== 'dlp' && r.scheme !== 'collect') return undefined;
  return r as RestrictedField;
}

/** Opens a `dlp` restricted field: the tenant `restricted` key, then the customer's key, same AD. */
export async function openDlpSpans(
  keyring: Pick<Keyring, 'tenantKey'>,
  tenantId: string,
  messageId: string,
  customerKey: (version: number) => Promise<AeadKey>,
  field: RestrictedField,
): Promise<RestrictedSpan[]> {
  const ad = restrictedAd(tenantId, messageId);
  const outer = Buffer.from(field.ct, 'base64');
  const restrictedKey = await keyring.tenantKey(tenantId, 'restricted', keyVersionOf(outer));
  const inner = open(restrictedKey, outer, ad);
  const key = await customerKey(keyVersionOf(inner));
  const spans = JSON.parse(open(key, inner, ad).toString('utf8')) as RestrictedSpan[];
  return spans.map((s) => ({ kind: s.kind, placeholder: s.placeholder, value: s.value }));
}

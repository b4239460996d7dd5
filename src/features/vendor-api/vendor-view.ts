import type { FieldMode, VendorField } from '../api-keys/api-keys.schema.ts';
import type { Contact } from '../contacts/contacts.service.ts';
import type { MessageView } from '../conversations/message-view.ts';
import { maskEmail, maskName, maskPhone } from '../vault/mask.ts';
import { pseudonym, toHandle, type VendorKeys } from '../vendors/pseudonyms.ts';

type ContactField = Exclude<VendorField, 'messageBody'>;

/** A customer as a vendor sees it: a per-vendor handle for an id, each field per the key's allowlist. */
export interface VendorContact {
  readonly id: string;
  readonly phone?: string | null;
  readonly profileName?: string | null;
  readonly email?: string | null;
  readonly attributes?: Record<string, unknown> | null;
  readonly tags: readonly string[];
}

export interface VendorMessage {
  readonly id: string;
  readonly direction: 'inbound' | 'outbound';
  readonly type: string;
  readonly status: string;
  readonly sentAt: string;
  readonly text?: string;
  readonly caption?: string;
}

const MASKS: { [F in ContactField]: (value: NonNullable<Contact[F]>) => unknown } = {
  phone: maskPhone,
  profileName: maskName,
  email: maskEmail,
  attributes: (attrs) => Object.fromEntries(Object.keys(attrs).map((k) => [k, '***'])),
};

function view<F extends ContactField>(keys: VendorKeys, c: Contact, field: F, mode: FieldMode): unknown {
  const value = c[field];
  if (value === null || value === undefined) return null;
  if (mode === 'clear') return value;
  if (mode === 'masked') return MASKS[field](value);
  return pseudonym(keys, field, c.id);
}

/** Projects one decrypted customer; returns the fields released in clear (to audit them). */
export function vendorContact(
  keys: VendorKeys,
  fields: Readonly<Record<VendorField, FieldMode>>,
  c: Contact,
): { contact: VendorContact; clear: ContactField[] } {
  const out: Record<string, unknown> = { id: toHandle(keys, c.id) };
  const clear: ContactField[] = [];
  for (const field of ['phone', 'profileName', 'email', 'attributes'] as const) {
    const mode = fields[field];
    if (mode === 'omit') continue;
    out[field] = view(keys, c, field, mode);
    if (mode === 'clear' && c[field] !== null) clear.push(field);
  }
  out.tags = c.tags;
  return { contact: out as unknown as VendorContact, clear };
}

/**
 * Removes the customer's own number from free text a vendor may read when the key does not have the
 * phone in clear (customers often type it), in its E.164 form and without the plus.
 */
export function redactPhone(text: string, phone: string | null): string {
  if (!phone) return text;
  const digits = phone.replace(/\D/g, '');
  const masked = maskPhone(phone);
  let out = text.split(phone).join(masked);
  if (digits.length >= 6) out = out.split(digits).join(masked);
  return out;
}

/** A message as a vendor sees it: bodies only with `messageBody: clear`, and the phone redacted unless clear. */
export function vendorMessage(
  keys: VendorKeys,
  fields: Readonly<Record<VendorField, FieldMode>>,
  m: MessageView,
  contactPhone: string | null,
): VendorMessage {
  const base: VendorMessage = {
    id: toHandle(keys, m.id),
    direction: m.direction,
    type: m.type,
    status: m.status,
    sentAt: m.sentAt,
  };
  if (fields.messageBody !== 'clear') return base;
  const scrub = (s: string | undefined) =>
    s === undefined ? undefined : fields.phone === 'clear' ? s : redactPhone(s, contactPhone);
  const text = scrub(m.text);
  const caption = scrub(m.caption);
  return { ...base, ...(text !== undefined ? { text } : {}), ...(caption !== undefined ? { caption } : {}) };
}

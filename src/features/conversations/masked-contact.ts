import type { Contact } from '../contacts/contacts.service.ts';
import { CONTACT_FIELDS, type ContactField } from '../access/access.schema.ts';
import type { ContactFacts } from '../access/entities.ts';
import { fieldView, type FieldView } from '../access/projection.ts';
import type { AccessSession } from '../access/sessions.ts';
import { maskEmail, maskName, maskPhone } from '../vault/mask.ts';

/** A customer as the console shows them: every field masked (or withheld); clear only through a reveal. */
export interface MaskedIdentity {
  readonly id: string;
  readonly phone: string | null;
  readonly profileName: string | null;
  readonly email: string | null;
  readonly tags: readonly string[];
  /** Masked or withheld per field, as the caller's policies decide. */
  readonly views: Readonly<Record<ContactField, Exclude<FieldView, 'clear'>>>;
}

/**
 * Masks every personal field the policies let the caller see at all, even fields they could read in
 * clear: the console shows clear values only after an explicit, audited reveal.
 */
export function maskedIdentity(
  session: Pick<AccessSession, 'decideContact'>,
  contact: Contact,
  facts: ContactFacts,
): MaskedIdentity {
  const views = {} as Record<ContactField, 'masked' | 'withheld'>;
  for (const field of CONTACT_FIELDS)
    views[field] = fieldView(session, facts, field).view === 'withheld' ? 'withheld' : 'masked';
  const show = <T>(field: ContactField, value: T | null, mask: (v: T) => string) =>
    value === null || views[field] === 'withheld' ? null : mask(value);
  return {
    id: contact.id,
    phone: show('phone', contact.phone, maskPhone),
    profileName: show('profileName', contact.profileName, maskName),
    email: show('email', contact.email, maskEmail),
    tags: contact.tags,
    views,
  };
}

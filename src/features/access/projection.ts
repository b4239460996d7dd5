import type { Contact } from '../contacts/contacts.service.ts';
import { maskEmail, maskName, maskPhone } from '../vault/mask.ts';
import { CONTACT_FIELDS, type ContactField } from './access.schema.ts';
import type { DecisionSession } from './decisions.ts';
import type { ContactFacts } from './entities.ts';

export type FieldView = 'clear' | 'masked' | 'withheld';

/** A contact as it leaves the service: each personal field clear, masked or withheld (null). */
export interface ProjectedContact {
  readonly id: string;
  readonly tags: readonly string[];
  readonly phone: string | null;
  readonly profileName: string | null;
  readonly email: string | null;
  readonly attributes: Record<string, unknown> | null;
  readonly views: Readonly<Record<ContactField, FieldView>>;
}

export interface Projection {
  readonly contact: ProjectedContact;
  /** Fields released in clear (each must be audited as a sensitive read). */
  readonly clear: readonly ContactField[];
  /** Policies that decided the clear fields. */
  readonly policyIds: readonly string[];
}

type Decider = Pick<DecisionSession, 'decideContact'>;

const MASKS: { [F in ContactField]: (value: NonNullable<Contact[F]>) => unknown } = {
  phone: maskPhone,
  profileName: maskName,
  email: maskEmail,
  attributes: (attrs) => Object.fromEntries(Object.keys(attrs).map((k) => [k, '***'])),
};

/**
 * One decision per field: `readClear` allows the value, else `readMasked` allows its mask, else it is
 * withheld. Masked is the default outcome of the default policies; nothing is clear unless a permit says so.
 */
export function fieldView(session: Decider, facts: ContactFacts, field: ContactField) {
  const clear = session.decideContact('readClear', facts, { field });
  if (clear.allowed) return { view: 'clear' as const, policyIds: clear.policyIds };
  const masked = session.decideContact('readMasked', facts, { field });
  return { view: masked.allowed ? ('masked' as const) : ('withheld' as const), policyIds: masked.policyIds };
}

function shown<F extends ContactField>(field: F, value: Contact[F], view: FieldView): unknown {
  if (value === null || view === 'withheld') return null;
  return view === 'clear' ? value : MASKS[field](value);
}

/** Projects one decrypted contact for the session's principal. */
export function projectContact(session: Decider, contact: Contact, facts: ContactFacts): Projection {
  const views = {} as Record<ContactField, FieldView>;
  const clear: ContactField[] = [];
  const policyIds = new Set<string>();
  for (const field of CONTACT_FIELDS) {
    const v = fieldView(session, facts, field);
    views[field] = v.view;
    if (v.view === 'clear') {
      clear.push(field);
      for (const id of v.policyIds) policyIds.add(id);
    }
  }
  return {
    contact: {
      id: contact.id,
      tags: contact.tags,
      phone: shown('phone', contact.phone, views.phone) as string | null,
      profileName: shown('profileName', contact.profileName, views.profileName) as string | null,
      email: shown('email', contact.email, views.email) as string | null,
      attributes: shown('attributes', contact.attributes, views.attributes) as Record<string, unknown> | null,
      views,
    },
    clear,
    policyIds: [...policyIds],
  };
}

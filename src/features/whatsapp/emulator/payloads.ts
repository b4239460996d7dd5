import type { Customer } from './population.ts';
import type { Random } from './random.ts';

export type Json = Record<string, unknown>;

/** The business side of every payload: `entry[].id` and `value.metadata`. */
export interface BusinessMeta {
  readonly wabaId: string;
  readonly phoneNumberId: string;
  readonly displayPhoneNumber: string;
}

/**
 * One update: the unit Meta batches (up to 1,000 per POST). A message or a status carries the
 * contact it concerns; value-level errors carry none.
 */
export type Update =
  | { readonly kind: 'message'; readonly contact: Json; readonly message: Json }
  | { readonly kind: 'status'; readonly contact: Json | undefined; readonly status: Json }
  | { readonly kind: 'error'; readonly error: Json }
  | { readonly kind: 'preference'; readonly contact: Json; readonly preference: Json };

/** Up to this many updates share one `value`, and this many changes one entry, when batching. */
const MAX_PER_VALUE = 4;
const MAX_CHANGES_PER_ENTRY = 3;

/**
 * `value.contacts[]` for a customer (§1.4): `wa_id` only when the number is visible, `user_id`
 * (BSUID) always, `profile.username` for username adopters, `parent_user_id` when there is one.
 */
export function contactOf(customer: Customer, options: { withUsername?: boolean; waId?: string } = {}): Json {
  const profile: Json = { name: customer.profileName };
  if (customer.username !== undefined && options.withUsername !== false) profile.username = customer.username;
  const waId = options.waId ?? customer.waId;
  return {
    profile,
    ...(waId === undefined ? {} : { wa_id: waId }),
    user_id: customer.userId,
    ...(customer.parentUserId === undefined ? {} : { parent_user_id: customer.parentUserId }),
    country_code: customer.countryCode,
  };
}

/** A `user_preferences` update (§1.12): integer timestamp, `stop` or `resume` of marketing. */
export function preferenceUpdate(customer: Customer, value: 'stop' | 'resume', unixSeconds: number): Update {
  const ids = { ...(customer.waId === undefined ? {} : { wa_id: customer.waId }), user_id: customer.userId };
  return {
    kind: 'preference',
    contact: ids,
    preference: {
      ...ids,
      detail: `User requested to ${value} marketing messages`,
      category: 'marketing_messages',
      value,
      timestamp: unixSeconds,
    },
  };
}

/**
 * Lays a list of updates out as one webhook body: runs of the same kind share a `value` (several
 * messages or statuses per change), changes are grouped into entries of the WABA. The layout is
 * drawn from the seeded random source, so batches vary but repeat for a seed.
 */
export function envelope(updates: readonly Update[], business: BusinessMeta, random: Random): Json {
  const groups: Update[][] = [];
  let limit = 0;
  for (const update of updates) {
    const current = groups.at(-1);
    if (!current || current[0]?.kind !== update.kind || current.length >= limit) {
      groups.push([update]);
      limit = random.int(1, MAX_PER_VALUE);
    } else current.push(update);
  }
  const changes = groups.map((group) => ({
    value: valueOf(group, business),
    field: group[0]?.kind === 'preference' ? 'user_preferences' : 'messages',
  }));
  const entry: Json[] = [];
  for (let at = 0; at < changes.length;) {
    const take = random.int(1, MAX_CHANGES_PER_ENTRY);
    entry.push({ id: business.wabaId, changes: changes.slice(at, at + take) });
    at += take;
  }
  return { object: 'whatsapp_business_account', entry };
}

function valueOf(group: readonly Update[], business: BusinessMeta): Json {
  const value: Json = {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: business.displayPhoneNumber, phone_number_id: business.phoneNumberId },
  };
  const contacts = new Map<string, Json>();
  for (const u of group) {
    if (u.kind === 'error' || u.contact === undefined) continue;
    const key = String(u.contact.user_id ?? u.contact.wa_id);
    if (!contacts.has(key)) contacts.set(key, u.contact);
  }
  if (contacts.size > 0) value.contacts = [...contacts.values()];
  const kind = group[0]?.kind;
  if (kind === 'message') value.messages = group.map((u) => (u.kind === 'message' ? u.message : {}));
  if (kind === 'status') value.statuses = group.map((u) => (u.kind === 'status' ? u.status : {}));
  if (kind === 'error') value.errors = group.map((u) => (u.kind === 'error' ? u.error : {}));
  if (kind === 'preference')
    value.user_preferences = group.map((u) => (u.kind === 'preference' ? u.preference : {}));
  return value;
}

/** Number of messages, statuses, errors and preferences in a webhook body. */
export function countUpdates(body: Json): number {
  let n = 0;
  for (const e of (body.entry as Json[] | undefined) ?? [])
    for (const c of (e.changes as Json[] | undefined) ?? []) {
      const v = (c.value ?? {}) as Json;
      for (const key of ['messages', 'statuses', 'errors', 'user_preferences'])
        n += Array.isArray(v[key]) ? (v[key] as unknown[]).length : 0;
    }
  return n;
}

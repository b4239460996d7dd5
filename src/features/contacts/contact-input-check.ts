import { parseInput } from '../../lib/validation.ts';
import type { ValidContactInput } from './contact-factory.ts';
import {
  CONTACT_LIMITS as L,
  TAG_PATTERN,
  USER_ID_PATTERN,
  WA_ID_PATTERN,
  createContactInput,
} from './contacts.schema.ts';

const FIELDS: ReadonlySet<string> = new Set([
  'phone',
  'profileName',
  'email',
  'tags',
  'attributes',
  'waId',
  'userId',
]);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

const optional = (v: unknown, check: (v: unknown) => boolean): boolean => v === undefined || check(v);

const text = (min: number, max: number) => (v: unknown) =>
  typeof v === 'string' && v.length >= min && v.length <= max;
const isPhone = text(1, L.phone);
const isProfileName = text(0, L.profileName);
const isEmail = text(0, L.email);
const isWaId = (v: unknown) => typeof v === 'string' && WA_ID_PATTERN.test(v);
const isUserIdText = text(1, L.userId);
const isUserId = (v: unknown) => isUserIdText(v) && USER_ID_PATTERN.test(v as string);

/** Every slot a tag (a hole in a sparse array is not). */
function isTags(v: unknown): boolean {
  if (!Array.isArray(v) || v.length > L.tags) return false;
  for (let i = 0; i < v.length; i++) {
    const t: unknown = v[i];
    if (typeof t !== 'string' || !TAG_PATTERN.test(t)) return false;
  }
  return true;
}

function isAttributeValue(v: unknown): boolean {
  if (typeof v === 'string') return v.length <= L.attributeText;
  if (typeof v === 'number') return Number.isFinite(v);
  return typeof v === 'boolean' || v === null;
}

/** A plain object of at most 50 attributes (zod drops a `__proto__` key: such input takes its path). */
function isAttributes(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  if (keys.length > L.attributes) return false;
  for (const key of keys)
    if (key.length < 1 || key.length > L.attributeKey || key === '__proto__' || !isAttributeValue(v[key]))
      return false;
  return true;
}

/**
 * The common new-contact input checked without zod: every created, imported or ingested customer
 * goes through it, and zod's parse cost more than a field's encryption. Returns a copy equal to what
 * the schema returns, or `undefined` to send the input through the schema, which accepts it or says
 * what is wrong; it never accepts what the schema rejects (contact-input-check.test.ts compares
 * them). Input with keys the schema does not know (which zod would drop) always takes its path.
 */
export function checkedContactInput(input: unknown): ValidContactInput | undefined {
  if (!isPlainObject(input)) return undefined;
  for (const key of Object.keys(input)) if (!FIELDS.has(key)) return undefined;
  const v = input;
  const ok =
    optional(v.phone, isPhone) &&
    optional(v.profileName, isProfileName) &&
    optional(v.email, isEmail) &&
    optional(v.tags, isTags) &&
    optional(v.attributes, isAttributes) &&
    optional(v.waId, isWaId) &&
    optional(v.userId, isUserId) &&
    (v.waId !== undefined || v.userId !== undefined);
  if (!ok) return undefined;
  const copy: Record<string, unknown> = { ...v };
  if (Array.isArray(v.tags)) copy.tags = [...(v.tags as string[])];
  if (isPlainObject(v.attributes)) copy.attributes = { ...v.attributes };
  return copy;
}

/** A new contact's input, validated: the fast check, else the schema (ValidationError on bad input). */
export function parseContactInput(input: unknown): ValidContactInput {
  return checkedContactInput(input) ?? parseInput(createContactInput, input);
}

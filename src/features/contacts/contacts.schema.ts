import { z } from 'zod';

/** The limits of a contact's fields (shared with the fast check, contact-input-check.ts). */
export const CONTACT_LIMITS = {
  phone: 40,
  profileName: 256,
  email: 254,
  tags: 50,
  attributes: 50,
  attributeKey: 64,
  attributeText: 2000,
  userId: 128,
} as const;
export const TAG_PATTERN = /^(?=.*[a-z])[a-z0-9][a-z0-9_-]{0,39}$/;
export const WA_ID_PATTERN = /^\d{6,20}$/;
export const USER_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;

/** Tags are staff-chosen labels, never personal data: slugs that must contain a letter. */
export const tag = z.string().regex(TAG_PATTERN, 'tags are lower-case slugs with at least one letter');

const attributeValue = z.union([
  z.string().max(CONTACT_LIMITS.attributeText),
  z.number().finite(),
  z.boolean(),
  z.null(),
]);

export const contactFields = z.object({
  phone: z.string().min(1).max(CONTACT_LIMITS.phone).optional(),
  profileName: z.string().max(CONTACT_LIMITS.profileName).optional(),
  email: z.string().max(CONTACT_LIMITS.email).optional(),
  tags: z.array(tag).max(CONTACT_LIMITS.tags).optional(),
  attributes: z
    .record(z.string().min(1).max(CONTACT_LIMITS.attributeKey), attributeValue)
    .refine((r) => Object.keys(r).length <= CONTACT_LIMITS.attributes, 'at most 50 attributes')
    .optional(),
});

export const createContactInput = contactFields
  .extend({
    /** WhatsApp id: the digits Meta sends as `wa_id` (usually the phone number). */
    waId: z.string().regex(WA_ID_PATTERN, 'waId must be 6–20 digits').optional(),
    /** Meta's business-scoped user id (BSUID). */
    userId: z
      .string()
      .min(1)
      .max(CONTACT_LIMITS.userId)
      .regex(USER_ID_PATTERN, 'userId has unexpected characters')
      .optional(),
  })
  .refine((v) => v.waId !== undefined || v.userId !== undefined, 'a contact needs a waId or a userId');

export type CreateContactInput = z.input<typeof createContactInput>;
export type ContactPatch = z.input<typeof contactFields>;

export const phoneQuery = z.string().min(1).max(40);
export const lastFourQuery = z.string().regex(/^\d{4}$/, 'exactly four digits');

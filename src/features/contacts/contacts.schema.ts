import { z } from 'zod';

/** Tags are staff-chosen labels, never personal data: slugs that must contain a letter. */
export const tag = z
  .string()
  .regex(/^(?=.*[a-z])[a-z0-9][a-z0-9_-]{0,39}$/, 'tags are lower-case slugs with at least one letter');

const attributeValue = z.union([z.string().max(2000), z.number().finite(), z.boolean(), z.null()]);

export const contactFields = z.object({
  phone: z.string().min(1).max(40).optional(),
  profileName: z.string().max(256).optional(),
  email: z.string().max(254).optional(),
  tags: z.array(tag).max(50).optional(),
  attributes: z
    .record(z.string().min(1).max(64), attributeValue)
    .refine((r) => Object.keys(r).length <= 50, 'at most 50 attributes')
    .optional(),
});

export const createContactInput = contactFields
  .extend({
    /** WhatsApp id: the digits Meta sends as `wa_id` (usually the phone number). */
    waId: z
      .string()
      .regex(/^\d{6,20}$/, 'waId must be 6–20 digits')
      .optional(),
    /** Meta's business-scoped user id (BSUID). */
    userId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9._:-]+$/, 'userId has unexpected characters')
      .optional(),
  })
  .refine((v) => v.waId !== undefined || v.userId !== undefined, 'a contact needs a waId or a userId');

export type CreateContactInput = z.input<typeof createContactInput>;
export type ContactPatch = z.input<typeof contactFields>;

export const phoneQuery = z.string().min(1).max(40);
export const lastFourQuery = z.string().regex(/^\d{4}$/, 'exactly four digits');

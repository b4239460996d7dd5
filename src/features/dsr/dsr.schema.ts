import { z } from 'zod';
import { ID_PATTERN } from '../../lib/ids.ts';

export const DSR_TYPES = ['access', 'erasure', 'rectification'] as const;
export type DsrType = (typeof DSR_TYPES)[number];

/**
 * Per-tenant deadlines. GDPR art. 12(3): one month (30 days here), extendable; PIPL art. 50 sets no
 * number of days, so tenants under it choose their own (15 is common practice).
 */
export const dsrSettings = z
  .object({
    regime: z.enum(['gdpr', 'pipl', 'other']).default('gdpr'),
    deadlineDays: z.number().int().min(1).max(90).default(30),
    downloadTtlMinutes: z
      .number()
      .int()
      .min(5)
      .max(7 * 24 * 60)
      .default(24 * 60),
  })
  .strict();
export type DsrSettings = z.infer<typeof dsrSettings>;

const reason = z.string().trim().min(5, 'a reason of at least 5 characters is required').max(500);

export const createDsrRequest = z
  .object({
    contactId: z.string().regex(ID_PATTERN),
    type: z.enum(DSR_TYPES),
    reason,
    /** When the customer asked (the clock starts then); default now. */
    receivedAt: z.string().datetime({ offset: true }).optional(),
  })
  .strict();

/** Rectification: the corrected values (the old ones are not kept). */
export const rectification = z
  .object({
    phone: z.string().min(1).max(40).optional(),
    profileName: z.string().max(256).optional(),
    email: z.string().max(254).optional(),
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'name at least one field to correct');

import { z } from 'zod';

export const RISK_TIERS = ['critical', 'high', 'medium', 'low'] as const;
/** What a vendor's agreement may allow; each maps to the fields it opens (see api-keys fields). */
export const DATA_CATEGORIES = ['phone', 'name', 'email', 'attributes', 'message_content'] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];
export const CERTIFICATION_KINDS = ['soc2_type2', 'iso27001', 'pentest', 'caiq', 'other'] as const;

const text = (max: number) => z.string().trim().min(1).max(max);
const day = z
  .string()
  .datetime({ offset: true })
  .or(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date (YYYY-MM-DD) or an ISO time'))
  .transform((v) => new Date(v).toISOString());

export const vendorInput = z
  .object({
    name: text(120),
    purpose: text(500),
    riskTier: z.enum(RISK_TIERS),
    dataCategories: z.array(z.enum(DATA_CATEGORIES)).max(DATA_CATEGORIES.length).default([]),
    region: text(64),
    transferMechanism: text(120),
    dpaSignedAt: day.nullable().default(null),
    dpaExpiresAt: day.nullable().default(null),
    certifications: z
      .array(z.object({ kind: z.enum(CERTIFICATION_KINDS), expiresAt: day }).strict())
      .max(20)
      .default([]),
    subProcessors: z.array(text(120)).max(50).default([]),
    breachNoticeHours: z.number().int().min(1).max(720),
    lastReviewAt: day.nullable().default(null),
    nextReviewAt: day,
    openFindings: z.number().int().min(0).max(10_000).default(0),
    owner: text(120),
  })
  .strict();
export type VendorInput = z.input<typeof vendorInput>;

export const vendorPatch = vendorInput.partial().strict();

/** Why a vendor is suspended: free text from staff or a playbook, a sentence at most, no personal data. */
export const suspendReason = z.string().trim().min(3).max(300);

export const reportQuery = z
  .object({
    from: day,
    to: day,
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();

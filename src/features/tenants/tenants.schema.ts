import { z } from 'zod';

export const tenantSlug = z
  .string()
  .min(2)
  .max(40)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'lower-case letters, digits and inner hyphens only');

export const createTenantInput = z.object({
  slug: tenantSlug,
  name: z.string().trim().min(1).max(120),
  /** R for blind-index sizing. Between 1,000 and 1,000,000,000 expected contacts. */
  expectedContacts: z.number().int().min(1_000).max(1_000_000_000).default(1_000_000),
});
export type CreateTenantInput = z.input<typeof createTenantInput>;

import { z } from 'zod';

const handle = z
  .string()
  .max(160)
  .regex(/^pid_[A-Za-z0-9_-]+$/, 'must be an id from this API');

export const VENDOR_PAGE_SIZE = 100;

export const contactsPage = z
  .object({
    cursor: handle.optional(),
    limit: z.coerce.number().int().min(1).max(VENDOR_PAGE_SIZE).default(VENDOR_PAGE_SIZE),
  })
  .strict();

export const handleParams = z.object({ id: handle }).strict();

export const messagesQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(100).default(50) })
  .strict();

export const tagInput = z
  .object({
    tag: z
      .string()
      .regex(/^(?=.*[a-z])[a-z0-9][a-z0-9_-]{0,39}$/, 'tags are lower-case slugs with at least one letter'),
  })
  .strict();

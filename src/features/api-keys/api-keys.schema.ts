import { z } from 'zod';
import { cidr } from './ip-allowlist.ts';
import { KEY_ENVS } from './token.ts';
import type { DataCategory } from '../vendors/vendors.schema.ts';

export const MAX_KEY_DAYS = 366;

/** Resources a vendor key may touch, each read / write / none (Stripe restricted keys). */
export const RESOURCES = ['contacts', 'messages'] as const;
export type Resource = (typeof RESOURCES)[number];
export type Permission = 'none' | 'read' | 'write';

/** Customer fields in vendor answers and webhooks, and the agreement category each needs for clear. */
export const FIELD_CATEGORY = {
  phone: 'phone',
  profileName: 'name',
  email: 'email',
  attributes: 'attributes',
  messageBody: 'message_content',
} as const satisfies Record<string, DataCategory>;
export type VendorField = keyof typeof FIELD_CATEGORY;
export const VENDOR_FIELDS = Object.keys(FIELD_CATEGORY) as VendorField[];

/** omit: not sent; pseudonym: a per-vendor pseudonym; masked: the masked value; clear: the value. */
export type FieldMode = 'omit' | 'pseudonym' | 'masked' | 'clear';

export const DEFAULT_FIELDS: Readonly<Record<VendorField, FieldMode>> = {
  phone: 'pseudonym',
  profileName: 'pseudonym',
  email: 'omit',
  attributes: 'omit',
  messageBody: 'omit',
};

const perm = z.enum(['none', 'read', 'write']);
const mode = z.enum(['omit', 'pseudonym', 'masked', 'clear']);

export const createKeyInput = z
  .object({
    label: z.string().trim().min(1).max(120),
    env: z.enum(KEY_ENVS).default('live'),
    scopes: z
      .object({ contacts: perm.default('none'), messages: z.enum(['none', 'read']).default('none') })
      .strict(),
    fields: z
      .object({
        phone: mode.optional(),
        profileName: mode.optional(),
        email: mode.optional(),
        attributes: z.enum(['omit', 'masked', 'clear']).optional(),
        messageBody: z.enum(['omit', 'clear']).optional(),
      })
      .strict()
      .default({}),
    ipAllowlist: z.array(cidr).max(50).default([]),
    ratePerMinute: z.number().int().min(1).max(100_000).default(600),
    expiresInDays: z.number().int().min(1).max(MAX_KEY_DAYS),
  })
  .strict();
export type CreateKeyInput = z.input<typeof createKeyInput>;

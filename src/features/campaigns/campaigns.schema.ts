import { z } from 'zod';
import { tag } from '../contacts/contacts.schema.ts';
import { KNOWN_LANGUAGES } from './languages.ts';

const country = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code');
const language = z
  .string()
  .regex(/^[a-z]{2}$/, 'must be an ISO 639-1 code such as es')
  .refine((l) => KNOWN_LANGUAGES.has(l), 'is not a language of any country a phone number can name');

/** Who a segment holds. Marketing opt-in is always required on top of these filters. */
export const segmentDefinition = z
  .object({
    tagsAll: z.array(tag).max(20).default([]),
    tagsAny: z.array(tag).max(20).default([]),
    tagsNone: z.array(tag).max(20).default([]),
    countries: z.array(country).max(100).default([]),
    /** Derived from the phone's country (`languages.ts`): customers in a country speaking any of them. */
    languages: z.array(language).max(50).default([]),
    /** Wrote to us within this many days. */
    activeWithinDays: z.number().int().min(1).max(3650).optional(),
    /** Has not written to us for at least this many days (or never). */
    inactiveForDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();
export type SegmentDefinition = z.output<typeof segmentDefinition>;

export const segmentInput = z
  .object({ name: z.string().min(1).max(120), definition: segmentDefinition })
  .strict();

/** A parameter is a fixed text or a customer field filled in by the sender at send time. */
const parameterValue = z.union([
  z.object({ text: z.string().min(1).max(1000) }).strict(),
  z
    .object({ field: z.enum(['first_name', 'name']), fallback: z.string().max(100).default('there') })
    .strict(),
  z.object({ mediaId: z.string().regex(/^\d{1,30}$/, 'must be a Graph API media id') }).strict(),
]);
export type ParameterValue = z.output<typeof parameterValue>;

const hour = z.number().int().min(0).max(23);

export const campaignInput = z
  .object({
    name: z.string().min(1).max(120),
    channelId: z.string().max(64),
    template: z.object({ name: z.string().min(1).max(512), language: z.string().min(2).max(15) }).strict(),
    parameters: z.record(z.string().max(64), parameterValue).default({}),
    segment: segmentDefinition,
    scheduledAt: z.string().datetime().optional(),
    quietHours: z.object({ start: hour, end: hour }).strict().optional(),
    dailyCap: z.number().int().min(1).max(10_000_000).optional(),
    ratePerSecond: z.number().int().min(1).max(1000).default(80),
    qualityStopAfter: z.number().int().min(1).max(1000).default(3),
  })
  .strict();
export type CampaignInput = z.input<typeof campaignInput>;

export const CAMPAIGN_STATUSES = ['draft', 'running', 'paused', 'cancelled', 'stopped', 'done'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

import { z } from 'zod';
import { INCIDENT_STATES } from './incidents.table.ts';

const token = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:/-]+$/, 'must be an id-like token');
const isoTime = z
  .string()
  .datetime({ offset: true })
  .transform((v) => new Date(v).toISOString());

export const suspect = z
  .object({
    type: z.enum(['operator', 'api_key', 'ip', 'session', 'cli', 'system']),
    id: z.string().min(1).max(128),
  })
  .strict();

export const openIncidentInput = z
  .object({
    title: z.string().trim().min(3).max(200),
    severity: z.enum(['low', 'medium', 'high', 'critical']).default('high'),
    suspect: suspect.optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
  })
  .strict();

export const transitionInput = z.object({ state: z.enum(INCIDENT_STATES) }).strict();
export const noteInput = z.object({ note: z.string().trim().min(1).max(5000) }).strict();

export const scopeInput = z
  .object({ suspect: suspect.optional(), from: isoTime.optional(), to: isoTime.optional() })
  .strict();

export const reviewInput = z
  .object({
    cause: z.string().trim().min(3).max(5000),
    impact: z.string().trim().min(3).max(5000),
    whatWorked: z.string().trim().min(3).max(5000),
    whatDidNot: z.string().trim().max(5000).default(''),
    actions: z
      .array(
        z
          .object({
            action: z.string().trim().min(3).max(1000),
            owner: z.string().trim().min(1).max(200),
            due: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD'),
          })
          .strict(),
      )
      .min(1, 'at least one follow-up action with an owner and a date')
      .max(50),
  })
  .strict();
export type Review = z.infer<typeof reviewInput>;

export const blastRadiusQuery = z
  .object({
    actorType: z.enum(['operator', 'api_key', 'cli', 'system']).optional(),
    actorId: token.optional(),
    clientIp: z.string().ip().optional(),
    requestId: token.optional(),
    /** The public id of a sign-in session (audit entries carry it). */
    sessionId: token.optional(),
    from: isoTime,
    to: isoTime,
  })
  .strict()
  .refine(
    (q) =>
      q.actorId !== undefined ||
      q.clientIp !== undefined ||
      q.requestId !== undefined ||
      q.sessionId !== undefined,
    'name an actor, an address, a session or a request',
  )
  .refine((q) => q.from <= q.to, 'from must not be after to');
export type BlastRadiusQuery = z.input<typeof blastRadiusQuery>;

export const playbookInput = z.discriminatedUnion('playbook', [
  z.object({ playbook: z.literal('disable_operator'), operatorId: token }).strict(),
  z.object({ playbook: z.literal('revoke_api_key'), keyId: token }).strict(),
  z.object({ playbook: z.literal('suspend_vendor'), vendorId: token }).strict(),
  z
    .object({
      playbook: z.literal('freeze'),
      exports: z.boolean().default(true),
      campaigns: z.boolean().default(true),
    })
    .strict(),
  z.object({ playbook: z.literal('rotate_keys') }).strict(),
  z.object({ playbook: z.literal('seal_vault') }).strict(),
]);
export type PlaybookInput = z.input<typeof playbookInput>;

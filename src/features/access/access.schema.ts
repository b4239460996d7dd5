import { z } from 'zod';
import { ID_PATTERN } from '../../lib/ids.ts';

export const id = (what: string) => z.string().max(40).regex(ID_PATTERN, `${what} must be an id`);

/** An id-like reference to something that will run (an export job, a key version): never free text. */
const ref = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:/-]+$/, 'must be an id-like reference');

/**
 * A justification typed by staff: a few words at least. Stored only encrypted (audit entries, grants,
 * approval requests), never logged.
 */
export const reason = z
  .string()
  .trim()
  .min(10, 'a reason of at least a few words is required')
  .max(500)
  .refine((v) => v.split(/\s+/).filter(Boolean).length >= 3, 'a reason of at least three words is required');

export const CONTACT_FIELDS = ['phone', 'profileName', 'email', 'attributes'] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

export const pageQuery = z
  .object({
    cursor: id('cursor').optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
  })
  .strict();
export type PageQuery = z.input<typeof pageQuery>;

export const revealInput = z.object({ field: z.enum(CONTACT_FIELDS), reason }).strict();
export type RevealInput = z.input<typeof revealInput>;

export const assignmentInput = z
  .object({ contactId: id('contactId'), operatorId: id('operatorId') })
  .strict();
export type AssignmentInput = z.input<typeof assignmentInput>;

export const assignmentQuery = z
  .object({
    contactId: id('contactId').optional(),
    operatorId: id('operatorId').optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

/** Break-glass grants are short: at most four hours. */
export const MAX_BREAK_GLASS_MINUTES = 240;
export const breakGlassInput = z
  .object({ reason, minutes: z.number().int().min(5).max(MAX_BREAK_GLASS_MINUTES).default(60) })
  .strict();
export type BreakGlassInput = z.input<typeof breakGlassInput>;

export const APPROVAL_KINDS = ['contacts_export', 'key_destroy'] as const;
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'executed', 'expired'] as const;
export const approvalInput = z.object({ kind: z.enum(APPROVAL_KINDS), payloadRef: ref, reason }).strict();
export type ApprovalInput = z.input<typeof approvalInput>;
export const approvalQuery = z
  .object({
    status: z.enum(['pending', 'approved', 'rejected', 'executed']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

export const TRAINING_KINDS = ['security_training', 'policy_ack'] as const;
export const trainingInput = z
  .object({
    operatorId: id('operatorId'),
    kind: z.enum(TRAINING_KINDS),
    version: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9._-]+$/, 'version must be a short label'),
    completedAt: z.string().datetime({ offset: true }).optional(),
    validMonths: z.number().int().min(1).max(24).default(12),
    evidenceRef: ref.optional(),
  })
  .strict();
export type TrainingInput = z.input<typeof trainingInput>;

export const addPolicyInput = z
  .object({ description: z.string().trim().min(1).max(200), text: z.string().min(1).max(10_000) })
  .strict();
export type AddPolicyInput = z.input<typeof addPolicyInput>;

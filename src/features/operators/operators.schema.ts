import { z } from 'zod';

export const OPERATOR_ROLES = ['agent', 'marketer', 'admin', 'auditor', 'owner'] as const;

export const createOperatorInput = z.object({
  email: z.string().min(3).max(254),
  role: z.enum(OPERATOR_ROLES),
  name: z.string().trim().min(1).max(120).optional(),
});
export type CreateOperatorInput = z.input<typeof createOperatorInput>;

import type { z } from 'zod';
import { ValidationError } from './errors.ts';

/**
 * Parses untrusted input with a zod schema; a failure becomes a ValidationError naming the first
 * problem's path and rule, never echoing the value.
 */
export function parseInput<S extends z.ZodTypeAny>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ValidationError(`${issue?.path.join('.') || 'input'}: ${issue?.message ?? 'invalid'}`, {
      issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return result.data as z.output<S>;
}

import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import { revealReason } from '../audit/audit.schema.ts';
import { kindsOf, restrictedFindings } from './redact.ts';
import type { Finding, FindingKind } from './scanner.ts';

/** A reply that carries restricted data without an override: 422, naming the kinds, never the data. */
export class SensitiveDataError extends AppError {
  constructor(kinds: readonly FindingKind[]) {
    super(
      422,
      'validation_failed',
      `The reply contains sensitive data (${kinds.join(', ')}); remove it, send a secure collection link, ` +
        'or resend with dlpOverride: { reason } (audited)',
      { kinds: [...kinds], dlp: true },
    );
  }
}

const override = z
  .object({ dlpOverride: z.object({ reason: revealReason }).strict().optional() })
  .passthrough();

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});

/** Every piece of free text in an outbound message: body, captions, template parameter texts. */
export function outboundTexts(input: unknown): string[] {
  const content = obj(input);
  const type = typeof content.type === 'string' ? content.type : '';
  const part = obj(content[type]);
  const texts: string[] = [];
  for (const key of ['body', 'caption']) if (typeof part[key] === 'string') texts.push(part[key]);
  if (type === 'template' && Array.isArray(part.components)) {
    for (const component of part.components) {
      const parameters = obj(component).parameters;
      if (!Array.isArray(parameters)) continue;
      for (const p of parameters) if (typeof obj(p).text === 'string') texts.push(obj(p).text as string);
    }
  }
  return texts;
}

/**
 * Checks an agent's reply before it is queued: restricted data refuses it (SensitiveDataError)
 * unless the request carries `dlpOverride: { reason }`; then the kinds and the reason are returned
 * for the audit entry. Null when the reply holds nothing restricted.
 */
export function guardOutbound(input: unknown): { kinds: FindingKind[]; reason: string } | null {
  const { dlpOverride } = parseInput(override, obj(input));
  const findings: Finding[] = outboundTexts(input).flatMap((t) => restrictedFindings(t));
  if (findings.length === 0) return null;
  const kinds = kindsOf(findings);
  if (!dlpOverride) throw new SensitiveDataError(kinds);
  return { kinds, reason: dlpOverride.reason };
}

/** The reply without the override field (what is validated, stored and sent). */
export function withoutOverride(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || !('dlpOverride' in input)) return input;
  const rest: Json = { ...(input as Json) };
  delete rest.dlpOverride;
  return rest;
}

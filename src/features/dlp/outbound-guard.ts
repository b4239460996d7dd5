import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import { revealReason } from '../audit/audit.schema.ts';
import { RESTRICTED_KINDS, kindsOf, redact, restrictedFindings } from './redact.ts';
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

/** What the guard decided about a reply carrying restricted data (null: it carries none). */
export type OutboundDecision =
  | { readonly action: 'override'; readonly kinds: FindingKind[]; readonly reason: string }
  | { readonly action: 'mask' | 'warn'; readonly kinds: FindingKind[] };

/** The tenant's reply policy: the kinds acted on and the action (dlp-settings.ts); `block` by default. */
export interface OutboundPolicy {
  readonly kinds: ReadonlySet<FindingKind>;
  readonly outbound: 'block' | 'mask' | 'warn';
}

const DEFAULT_POLICY: OutboundPolicy = { kinds: RESTRICTED_KINDS, outbound: 'block' };

/**
 * Checks an agent's reply before it is queued. With `dlpOverride: { reason }` it goes out as typed
 * (the kinds and the reason are audited). Otherwise the tenant's action applies: `block` refuses it
 * (SensitiveDataError), `mask` sends it with placeholders (see {@link maskOutbound}), `warn` sends it
 * as typed and reports the kinds. Null when the reply holds nothing restricted.
 */
export function guardOutbound(
  input: unknown,
  policy: OutboundPolicy = DEFAULT_POLICY,
): OutboundDecision | null {
  const { dlpOverride } = parseInput(override, obj(input));
  const findings: Finding[] = outboundTexts(input).flatMap((t) => restrictedFindings(t, policy.kinds));
  if (findings.length === 0) return null;
  const kinds = kindsOf(findings);
  if (dlpOverride) return { action: 'override', kinds, reason: dlpOverride.reason };
  if (policy.outbound === 'block') throw new SensitiveDataError(kinds);
  return { action: policy.outbound, kinds };
}

/**
 * The reply with every restricted span (of `kinds`) in its body, caption and template parameter
 * texts replaced by its placeholder ("[card ending 4242]"); other fields unchanged.
 */
export function maskOutbound(input: unknown, kinds: ReadonlySet<FindingKind>): unknown {
  const content = obj(input);
  const type = typeof content.type === 'string' ? content.type : '';
  const part = obj(content[type]);
  const mask = (text: string) => redact(text, kinds)?.text ?? text;
  const next: Json = { ...part };
  for (const key of ['body', 'caption']) if (typeof part[key] === 'string') next[key] = mask(part[key]);
  if (type === 'template' && Array.isArray(part.components)) {
    next.components = part.components.map((component) => {
      const parameters = obj(component).parameters;
      if (!Array.isArray(parameters)) return component as unknown;
      return {
        ...obj(component),
        parameters: parameters.map((p) =>
          typeof obj(p).text === 'string' ? { ...obj(p), text: mask(obj(p).text as string) } : (p as unknown),
        ),
      };
    });
  }
  return type in content ? { ...content, [type]: next } : input;
}

/** The reply without the override field (what is validated, stored and sent). */
export function withoutOverride(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || !('dlpOverride' in input)) return input;
  const rest: Json = { ...(input as Json) };
  delete rest.dlpOverride;
  return rest;
}

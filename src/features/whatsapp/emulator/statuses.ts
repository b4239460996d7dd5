import { createHash } from 'node:crypto';
import { isBefore, webhookError, type GraphErrorCode } from './errors.ts';
import { contactOf, type Json, type Update } from './payloads.ts';
import type { Customer } from './population.ts';
import type { Random } from './random.ts';

export type StatusName = 'sent' | 'delivered' | 'read' | 'failed' | 'played';
export type PricingCategory = 'marketing' | 'utility' | 'authentication' | 'service';
export type PricingType = 'regular' | 'free_customer_service' | 'free_entry_point';

/** An accepted outbound message, as the status progression needs it. */
export interface Outbound {
  readonly id: string;
  readonly customer: Customer | undefined;
  /** `recipient_id`: the number the send named, or '' when it named a BSUID. */
  readonly recipientId: string;
  readonly byUserId: boolean;
  readonly type: string;
  readonly category: PricingCategory;
  readonly pricingType: PricingType;
  readonly version: string | undefined;
  readonly bizOpaque: string | undefined;
  /** Set when the message will end as a `failed` status with this code. */
  readonly failure: GraphErrorCode | undefined;
}

export interface LifecycleDeps {
  readonly delaysMs: { readonly sent: number; readonly delivered: number; readonly read: number };
  readonly random: Random;
  readonly unixNow: () => number;
  readonly emit: (update: Update) => void;
  readonly onStatus: (messageId: string, status: StatusName) => void;
}

/** Per-message pricing switched from conversation-based to per-message on 1 Jul 2025 (§1.10). */
const PMP_SINCE = 1_751_328_000;

/**
 * Status progressions of accepted sends (§1.10): sent → delivered → read by the customer's
 * behaviour, `delivered` skipped when read at once, `played` after a voice message is read, only
 * `sent` for a reaction, `failed` with errors instead of all of them; `pricing` on exactly one of
 * sent/delivered; `conversation` before v24.0, or inside a free entry point window.
 */
export class StatusLifecycle {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: LifecycleDeps) {}

  /**
   * Each status waits for the one before it: one timer at a time per message, so a stalled event loop
   * delays a progression but never reorders it (timers of different lengths that fall due in the same
   * pass run list by list, not in the order they were due).
   */
  schedule(message: Outbound): void {
    const plan = this.plan(message);
    const pricingOn =
      plan.some(([s]) => s === 'delivered') && this.deps.random.chance(0.5) ? 'delivered' : 'sent';
    const step = (index: number, elapsed: number): void => {
      const [status, at] = plan[index]!;
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          this.deps.onStatus(message.id, status);
          this.deps.emit(statusUpdate(message, status, status === pricingOn, this.deps.unixNow()));
          if (index + 1 < plan.length) step(index + 1, Math.max(at, elapsed));
        },
        Math.max(0, at - elapsed),
      );
      this.timers.add(timer);
    };
    step(0, 0);
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private plan(message: Outbound): [StatusName, number][] {
    const { sent, delivered, read } = this.deps.delaysMs;
    if (message.failure !== undefined) return [['failed', sent]];
    if (message.type === 'reaction') return [['sent', sent]];
    const behaviour = message.customer?.behaviour ?? 'offline';
    const plan: [StatusName, number][] = [['sent', sent]];
    if (behaviour === 'reads' || behaviour === 'delivers') plan.push(['delivered', delivered]);
    if (behaviour === 'reads' || behaviour === 'reads-at-once') plan.push(['read', read]);
    if (message.type === 'audio' && behaviour !== 'delivers' && behaviour !== 'offline')
      plan.push(['played', read + Math.max(1, read - delivered)]);
    return plan;
  }
}

/** One `statuses[]` update for a message (§1.10), with `pricing` when asked and `conversation` by version. */
export function statusUpdate(
  message: Outbound,
  status: StatusName,
  withPricing: boolean,
  now: number,
): Update {
  const value: Json = {
    id: message.id,
    status,
    timestamp: String(now),
    recipient_id: message.recipientId,
  };
  if (message.byUserId && message.customer) value.recipient_user_id = message.customer.userId;
  if (message.bizOpaque !== undefined) value.biz_opaque_callback_data = message.bizOpaque;
  if (status === 'failed') {
    value.errors = [webhookError(message.failure ?? 131026)];
    return { kind: 'status', contact: undefined, status: value };
  }
  const inEntryPoint = message.pricingType === 'free_entry_point';
  if (status !== 'played' && (isBefore(message.version, 24) || inEntryPoint))
    value.conversation = {
      id: createHash('md5')
        .update(`${message.customer?.userId ?? message.recipientId}:${message.category}`)
        .digest('hex'),
      expiration_timestamp: String(now + (inEntryPoint ? 72 : 24) * 3600),
      origin: { type: inEntryPoint ? 'referral_conversion' : message.category },
    };
  if (withPricing)
    value.pricing = {
      billable: message.pricingType === 'regular',
      pricing_model: now < PMP_SINCE ? 'CBP' : 'PMP',
      type: message.pricingType,
      category: inEntryPoint ? 'referral_conversion' : message.category,
    };
  const contact =
    message.byUserId && message.customer
      ? contactOf(message.customer, { withUsername: status !== 'sent', waId: '' })
      : undefined;
  return { kind: 'status', contact, status: value };
}

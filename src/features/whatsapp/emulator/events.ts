import type { EmulatorContext } from './context.ts';
import { webhookError, type GraphErrorCode } from './errors.ts';
import { wamid } from './ids.ts';
import { inboundMessage, type InboundKind, type InboundOptions } from './inbound.ts';
import { preferenceUpdate, type Update } from './payloads.ts';
import type { Customer } from './population.ts';
import { statusUpdate, type PricingCategory, type StatusName } from './statuses.ts';

/** What `deliver` can generate: any inbound message kind, a status, value-level errors, a preference. */
export type DeliverKind = InboundKind | 'status' | 'errors' | 'user_preferences';

export interface DeliverOptions extends InboundOptions {
  /** The customer (or its index); default: the next customer on WhatsApp, round robin. */
  readonly customer?: Customer | number;
  /** How many updates of this kind to generate (they are batched together). */
  readonly count?: number;
  /** One delivery per update instead of batching. */
  readonly separately?: boolean;
  /** `status`: which one (default `sent`) and for which message id (default: a new outbound id). */
  readonly status?: StatusName;
  readonly messageId?: string;
  /** `status` with `failed` (default 131049), or `errors` (default 130429). */
  readonly errorCode?: GraphErrorCode;
  /** `status`: pricing category (default `marketing`) and the Graph version it was sent with. */
  readonly category?: PricingCategory;
  readonly version?: string;
  /** `user_preferences`: default flips the customer's current marketing preference. */
  readonly value?: 'stop' | 'resume';
}

/** Value-level 130429 as in §1.11 (its details differ from the synchronous answer's). */
const VALUE_ERROR_DETAILS: Partial<Record<GraphErrorCode, string>> = {
  130429:
    'Message failed to send because there were too many messages sent from this phone number in a short period of time',
};

/**
 * Turns a kind and options into one webhook update, applying its side effects on the population:
 * an inbound message opens the 24-hour window (72-hour free entry point from an ad), a preference
 * update changes the marketing opt-out.
 */
export function createEvents(ctx: EmulatorContext) {
  const reachable = ctx.population.list.filter((c) => c.onWhatsApp);
  let cursor = 0;

  const customerFor = (choice: DeliverOptions['customer']): Customer => {
    if (typeof choice === 'number') return ctx.population.get(choice);
    if (choice) return choice;
    const next = reachable[cursor++ % reachable.length];
    if (!next) throw new Error('The population has no customer on WhatsApp');
    return next;
  };

  const businessMessageFor = (customer: Customer) =>
    ctx.journal.lastOutboundTo(customer) ?? wamid(ctx.random, customer.waId ?? customer.userId, 'outbound');

  function make(kind: DeliverKind, options: DeliverOptions): { update: Update; id: string } {
    const customer = customerFor(options.customer);
    if (kind === 'status') {
      const status = options.status ?? 'sent';
      const id = options.messageId ?? businessMessageFor(customer);
      const update = statusUpdate(
        {
          id,
          customer,
          recipientId: customer.waId ?? '',
          byUserId: customer.waId === undefined,
          type: 'template',
          category: options.category ?? 'marketing',
          pricingType: options.category === 'service' ? 'free_customer_service' : 'regular',
          version: options.version,
          bizOpaque: undefined,
          failure: status === 'failed' ? (options.errorCode ?? 131049) : undefined,
        },
        status,
        status === 'sent' || status === 'delivered',
        ctx.unixNow(),
      );
      return { update, id };
    }
    if (kind === 'errors') {
      const code = options.errorCode ?? 130429;
      return { update: { kind: 'error', error: webhookError(code, VALUE_ERROR_DETAILS[code]) }, id: '' };
    }
    if (kind === 'user_preferences') {
      const value = options.value ?? (ctx.population.optedOut(customer) ? 'resume' : 'stop');
      ctx.population.setOptOut(customer, value === 'stop');
      return { update: preferenceUpdate(customer, value, ctx.unixNow()), id: '' };
    }
    const made = inboundMessage(kind, customer, options, {
      random: ctx.random,
      business: ctx.business,
      media: ctx.media,
      unixNow: ctx.unixNow,
      businessMessageFor,
    });
    ctx.population.recordInbound(customer, options.referral === true);
    ctx.journal.recordInbound(made.id, customer);
    return made;
  }

  return { make };
}

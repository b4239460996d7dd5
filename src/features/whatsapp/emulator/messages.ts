import type { EmulatorContext } from './context.ts';
import { GraphError, type GraphErrorCode } from './errors.ts';
import { wamid } from './ids.ts';
import type { Json } from './payloads.ts';
import { describeIssue, markRead, sendMessage, type SendMessage } from './send-schema.ts';
import type { PricingCategory, PricingType } from './statuses.ts';
import { checkTemplateSend } from './template-check.ts';

const MEDIA_TYPES = ['image', 'audio', 'video', 'document', 'sticker'] as const;

/**
 * `POST /{phone-number-id}/messages`. Checks, in order: body (100), throughput (130429), recipient
 * (131026), template (132001, 132000, 132012, 131062), a marketing template while the number is
 * flagged for spam (131048), marketing opt-out (131050), the 24-hour
 * window for anything but a template (131047), then the pair rate (131056). With
 * `failureMode: 'status'`, 131026/131047/131050 are accepted and end as `failed` statuses instead.
 */
export function handleMessages(ctx: EmulatorContext, version: string | undefined, raw: unknown): Json {
  if (typeof raw === 'object' && raw !== null && 'status' in raw) return markAsRead(ctx, raw);
  const parsed = sendMessage.safeParse(raw);
  if (!parsed.success) throw new GraphError(100, describeIssue(parsed.error));
  const message = parsed.data;
  if (message.recipient_type === 'group')
    throw new GraphError(100, 'The parameter recipient_type is invalid: group messaging is not emulated.');
  if (!ctx.rates.takeThroughput()) throw new GraphError(130429);

  const { customer, byUserId, digits } = ctx.population.resolve(message.to, ctx.callingCode);
  let failure: GraphErrorCode | undefined;
  const refuse = (code: GraphErrorCode) => {
    if (ctx.settings.failureMode === 'sync') throw new GraphError(code);
    failure ??= code;
  };
  const reachable = customer?.onWhatsApp === true ? customer : undefined;
  if (!reachable) refuse(131026);

  let category: PricingCategory = 'service';
  let template: string | undefined;
  const mediaIds: string[] = [];
  if (message.type === 'template' && message.template) {
    const check = checkTemplateSend(message.template, ctx.templates);
    category = check.category;
    template = check.template.name;
    mediaIds.push(...check.mediaIds);
    if (byUserId && category === 'authentication') throw new GraphError(131062);
    if (category === 'marketing' && ctx.spamLimited) throw new GraphError(131048);
    if (reachable && category === 'marketing' && ctx.population.optedOut(reachable)) refuse(131050);
  } else if (reachable && !ctx.population.windowOpen(reachable)) refuse(131047);
  for (const type of MEDIA_TYPES) {
    const media = message.type === type ? message[type] : undefined;
    if (media?.id !== undefined) mediaIds.push(media.id);
  }

  if (reachable && failure === undefined && !ctx.rates.takePair(String(reachable.index)))
    throw new GraphError(131056);
  if (failure === undefined && mediaIds.some((id) => !ctx.media.get(id))) failure = 131053;
  if (failure === undefined && category === 'marketing' && reachable?.marketingLimited) failure = 131049;

  const windowOpen = reachable !== undefined && ctx.population.windowOpen(reachable);
  if (reachable && template !== undefined && !windowOpen && failure === undefined)
    ctx.population.recordBusinessInitiated(reachable);
  const id = wamid(ctx.random, byUserId ? message.to : digits, 'outbound');
  ctx.journal.recordSent({
    id,
    to: message.to,
    customerIndex: customer?.index,
    type: message.type,
    category,
    template,
    version,
    at: ctx.clock.now(),
    request: message,
    statuses: [],
  });
  ctx.lifecycle.schedule({
    id,
    customer,
    recipientId: digits,
    byUserId,
    type: message.type,
    category,
    pricingType: pricingType(ctx, message, category, windowOpen, reachable),
    version,
    bizOpaque: message.biz_opaque_callback_data,
    failure,
  });
  ctx.journal.requests.accepted++;
  return {
    messaging_product: 'whatsapp',
    contacts: [{ input: message.to, wa_id: digits, ...(byUserId ? { user_id: message.to } : {}) }],
    messages: [{ id, ...(template === undefined ? {} : { message_status: 'accepted' }) }],
  };
}

function pricingType(
  ctx: EmulatorContext,
  message: SendMessage,
  category: PricingCategory,
  windowOpen: boolean,
  customer: Parameters<EmulatorContext['population']['entryPointOpen']>[0] | undefined,
): PricingType {
  if (customer && ctx.population.entryPointOpen(customer)) return 'free_entry_point';
  if (message.type !== 'template' || (category === 'utility' && windowOpen)) return 'free_customer_service';
  return 'regular';
}

/** `{"status":"read","message_id":…}` (§2.6): only for a message a customer sent. */
function markAsRead(ctx: EmulatorContext, raw: object): Json {
  const parsed = markRead.safeParse(raw);
  if (!parsed.success) throw new GraphError(100, describeIssue(parsed.error));
  if (!ctx.journal.isInbound(parsed.data.message_id))
    throw new GraphError(100, 'The parameter message_id is invalid: no such inbound message.');
  ctx.journal.readReceipts.push(parsed.data.message_id);
  return { success: true };
}

import {
  BUTTON_REPLIES,
  CAPTIONS,
  DOCUMENT_NAMES,
  EMOJI,
  LIST_REPLIES,
  LOCATIONS,
  MEDIA_KINDS,
  QUICK_REPLIES,
  REFERRAL,
  TEXTS,
  UNSUPPORTED_TYPES,
  fixtureFile,
  type MediaKind,
} from './fixtures.ts';
import { webhookError } from './errors.ts';
import { wamid } from './ids.ts';
import type { MediaStore } from './media.ts';
import { contactOf, type BusinessMeta, type Json, type Update } from './payloads.ts';
import type { Customer } from './population.ts';
import type { Random } from './random.ts';

/** Every kind of inbound customer message the emulator generates (§1.5–§1.9 and Meta's references). */
export const INBOUND_KINDS = [
  'text',
  'image',
  'audio',
  'video',
  'document',
  'sticker',
  'location',
  'contacts',
  'button_reply',
  'list_reply',
  'button',
  'reaction',
  'unsupported',
] as const;
export type InboundKind = (typeof INBOUND_KINDS)[number];

/** Knobs of one generated inbound message; anything unset is drawn from the seeded source. */
export interface InboundOptions {
  /** Text body, or caption of an image, video or document. */
  readonly text?: string;
  /** `context` reply to a business message (wamid). */
  readonly replyTo?: string;
  readonly forwarded?: boolean | 'frequently';
  /** Sent from a Click-to-WhatsApp ad: adds `referral` and opens a 72-hour free entry point. */
  readonly referral?: boolean;
  /** Reaction emoji; `null` is a removed reaction (no `emoji` key). */
  readonly emoji?: string | null;
  /** Include `url` on media (rolled out gradually by Meta); default: half of the time. */
  readonly withUrl?: boolean;
}

export interface InboundDeps {
  readonly random: Random;
  readonly business: BusinessMeta;
  readonly media: MediaStore;
  readonly unixNow: () => number;
  /** The business message a reply, button or reaction refers to. */
  readonly businessMessageFor: (customer: Customer) => string;
}

/** Builds one inbound message update from a customer, and registers its media (7-day ids). */
export function inboundMessage(
  kind: InboundKind,
  customer: Customer,
  options: InboundOptions,
  deps: InboundDeps,
): { update: Update; id: string } {
  const { random } = deps;
  const id = wamid(random, customer.waId ?? customer.userId, 'inbound');
  const message: Json = {};
  const context = contextFor(kind, customer, options, deps);
  if (context) message.context = context;
  if (customer.waId !== undefined) message.from = customer.waId;
  message.from_user_id = customer.userId;
  message.id = id;
  message.timestamp = String(deps.unixNow());
  Object.assign(message, body(kind, customer, options, deps));
  if (options.referral) message.referral = REFERRAL;
  return { update: { kind: 'message', contact: contactOf(customer), message }, id };
}

function contextFor(
  kind: InboundKind,
  customer: Customer,
  options: InboundOptions,
  deps: InboundDeps,
): Json | undefined {
  if (options.forwarded === 'frequently') return { frequently_forwarded: true };
  if (options.forwarded) return { forwarded: true };
  const needsContext = kind === 'button' || kind === 'button_reply' || kind === 'list_reply';
  const replyTo = options.replyTo ?? (needsContext ? deps.businessMessageFor(customer) : undefined);
  return replyTo === undefined ? undefined : { from: deps.business.displayPhoneNumber, id: replyTo };
}

function body(kind: InboundKind, customer: Customer, options: InboundOptions, deps: InboundDeps): Json {
  const { random } = deps;
  switch (kind) {
    case 'text':
      return { type: 'text', text: { body: options.text ?? random.pick(TEXTS) } };
    case 'image':
    case 'video':
    case 'audio':
    case 'sticker':
    case 'document':
      return { type: kind, [kind]: mediaObject(kind, options, deps) };
    case 'location':
      return { location: random.pick(LOCATIONS), type: 'location' };
    case 'contacts':
      return { type: 'contacts', contacts: [sharedContact(random)] };
    case 'button_reply':
      return {
        type: 'interactive',
        interactive: { type: 'button_reply', button_reply: random.pick(BUTTON_REPLIES) },
      };
    case 'list_reply':
      return {
        type: 'interactive',
        interactive: { type: 'list_reply', list_reply: random.pick(LIST_REPLIES) },
      };
    case 'button': {
      const text = options.text ?? random.pick(QUICK_REPLIES);
      return { type: 'button', button: { payload: text, text } };
    }
    case 'reaction': {
      const emoji = options.emoji === undefined ? random.pick(EMOJI) : options.emoji;
      const target = options.replyTo ?? deps.businessMessageFor(customer);
      return {
        type: 'reaction',
        reaction: emoji === null ? { message_id: target } : { message_id: target, emoji },
      };
    }
    case 'unsupported': {
      const error = webhookError(131051);
      delete error.href;
      return { errors: [error], type: 'unsupported', unsupported: { type: random.pick(UNSUPPORTED_TYPES) } };
    }
  }
}

function mediaObject(kind: MediaKind, options: InboundOptions, deps: InboundDeps): Json {
  const { random, media } = deps;
  const filename = kind === 'document' ? random.pick(DOCUMENT_NAMES) : undefined;
  const item = media.addInbound(MEDIA_KINDS[kind].mime, fixtureFile(kind, random), filename);
  const caption = options.text ?? (random.chance(0.6) ? random.pick(CAPTIONS) : undefined);
  const withUrl = options.withUrl ?? random.chance(0.5);
  return {
    ...(caption !== undefined && kind !== 'audio' && kind !== 'sticker' ? { caption } : {}),
    ...(filename === undefined ? {} : { filename }),
    mime_type: item.mimeType,
    sha256: item.sha256,
    id: item.id,
    ...(withUrl ? { url: media.urlFor(item) } : {}),
    ...(kind === 'sticker' ? { animated: random.chance(0.3) } : {}),
  };
}

function sharedContact(random: Random): Json {
  const digits = `1415555${random.digits(4)}`;
  return {
    name: { formatted_name: 'Barbara J. Johnson', first_name: 'Barbara', last_name: 'Johnson' },
    org: { company: 'Social Tsunami' },
    phones: [{ phone: `+${digits}`, wa_id: digits, type: 'MOBILE' }],
    emails: [{ email: 'bjohnson@example.com', type: 'WORK' }],
  };
}

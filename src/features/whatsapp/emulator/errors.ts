import { fbtraceId } from './ids.ts';

interface CatalogueEntry {
  readonly title: string;
  readonly details: string;
  /** HTTP status of a synchronous Graph answer. Meta documents codes, not statuses: key on `code`. */
  readonly status: number;
}

const HREF = '/documentation/business-messaging/whatsapp/support/error-codes';

/** The codes the emulator produces, with Meta's titles and `error_data.details` (§2.4). */
const CATALOGUE = {
  100: { title: 'Invalid parameter', details: 'Invalid parameter', status: 400 },
  190: {
    title: 'Invalid OAuth access token',
    details: 'Invalid OAuth access token - Cannot parse access token',
    status: 401,
  },
  130429: {
    title: 'Rate limit hit',
    details: 'Cloud API message throughput has been reached.',
    status: 400,
  },
  131000: {
    title: 'Something went wrong',
    details: 'Message failed to send due to an unknown error.',
    status: 500,
  },
  131026: {
    title: 'Message undeliverable',
    details:
      'Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted the new Terms of Service; the recipient is using an old WhatsApp version.',
    status: 400,
  },
  131047: {
    title: 'Re-engagement message',
    details: 'More than 24 hours have passed since the recipient last replied to the sender number.',
    status: 400,
  },
  131048: {
    title: 'Spam rate limit hit',
    details:
      'Message failed to send because there are restrictions on how many messages can be sent from this phone number. This may be because too many previous messages were blocked or flagged as spam.',
    status: 400,
  },
  131049: {
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
    status: 400,
  },
  131050: {
    title: 'User has stopped marketing messages',
    details: 'This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
    status: 400,
  },
  131051: {
    title: 'Unsupported message type',
    details: 'Message type is currently not supported.',
    status: 400,
  },
  131052: {
    title: 'Media download error',
    details:
      'Media file size too big. Max file size we currently support: 100MB. Please communicate with your customer to send a media file that is smaller than 100MB',
    status: 400,
  },
  131053: {
    title: 'Media upload error',
    details: 'Unable to upload the media used in the message.',
    status: 400,
  },
  131056: {
    title: '(Business Account, Consumer Account) pair rate limit hit',
    details:
      'Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.',
    status: 400,
  },
  131062: {
    title: 'Business-scoped user ID not supported',
    details:
      "You can only send authentication messages to recipients' phone numbers, not their business-scoped user IDs.",
    status: 400,
  },
  132000: {
    title: 'Number of parameters does not match the expected number of params',
    details:
      'The number of variable parameter values included in the request did not match the number of variable parameters defined in the template.',
    status: 400,
  },
  132001: {
    title: 'Template name does not exist in the translation',
    details: 'The template does not exist in the specified language or has not been approved.',
    status: 400,
  },
  132012: {
    title: 'Parameter format does not match format in the created template',
    details: 'The format of a parameter does not match the format defined in the template.',
    status: 400,
  },
} as const satisfies Record<number, CatalogueEntry>;

export type GraphErrorCode = keyof typeof CATALOGUE;

/** Subcodes are deprecated and only returned before v16.0 (§2.4). */
const LEGACY_SUBCODES: Partial<Record<GraphErrorCode, number>> = { 130429: 2494055 };

/**
 * A Graph API error answer. `details` may override the catalogue text but must never carry a token,
 * a phone number or a message body.
 */
export class GraphError extends Error {
  readonly code: GraphErrorCode;
  readonly status: number;
  readonly title: string;
  readonly details: string;
  readonly type: string;
  readonly subcode: number | undefined;

  constructor(code: GraphErrorCode, details?: string, options: { type?: string; subcode?: number } = {}) {
    const entry: CatalogueEntry = CATALOGUE[code];
    super(`(#${code}) ${entry.title}`);
    this.name = 'GraphError';
    this.code = code;
    this.status = entry.status;
    this.title = entry.title;
    this.details = details ?? entry.details;
    this.type = options.type ?? 'OAuthException';
    this.subcode = options.subcode;
  }

  /** The `{ error: … }` body, with `error_subcode` only where that Graph version still sends it. */
  body(version: string | undefined): { error: Record<string, unknown> } {
    const subcode = this.subcode ?? (isBefore(version, 16) ? LEGACY_SUBCODES[this.code] : undefined);
    return {
      error: {
        message: this.message,
        type: this.type,
        code: this.code,
        error_data: { messaging_product: 'whatsapp', details: this.details },
        ...(subcode === undefined ? {} : { error_subcode: subcode }),
        fbtrace_id: fbtraceId(),
      },
    };
  }
}

/** `(#100)` for an id that names no object the caller may see (Graph answers 400, subcode 33). */
export function unknownObject(id: string): GraphError {
  return new GraphError(
    100,
    `Unsupported request. Object with ID '${id.slice(0, 64)}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    { type: 'GraphMethodException', subcode: 33 },
  );
}

/** An error object as it appears in webhooks: `statuses[].errors[]` and `value.errors[]` (§1.10, §1.11). */
export function webhookError(code: GraphErrorCode, details?: string): Record<string, unknown> {
  const entry: CatalogueEntry = CATALOGUE[code];
  return {
    code,
    title: entry.title,
    message: entry.title,
    error_data: { details: details ?? entry.details },
    href: HREF,
  };
}

/** True when a `vNN.N` version is older than the given major version; false when there is none. */
export function isBefore(version: string | undefined, major: number): boolean {
  const match = /^v(\d+)\./.exec(version ?? '');
  return match !== null && Number(match[1]) < major;
}

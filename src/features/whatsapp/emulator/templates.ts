import { unknownObject } from './errors.ts';
import { graphObjectId } from './ids.ts';
import type { Random } from './random.ts';

export type TemplateStatus = 'APPROVED' | 'PENDING' | 'REJECTED';
export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';

export interface TemplateButton {
  readonly type: 'QUICK_REPLY' | 'URL' | 'PHONE_NUMBER' | 'OTP';
  readonly text: string;
  readonly url?: string;
  readonly phone_number?: string;
  readonly otp_type?: 'COPY_CODE';
  readonly example?: readonly string[];
}

export interface TemplateComponent {
  readonly type: 'HEADER' | 'BODY' | 'FOOTER' | 'BUTTONS';
  readonly format?: 'TEXT' | 'IMAGE' | 'VIDEO' | 'DOCUMENT';
  readonly text?: string;
  readonly example?: Record<string, unknown>;
  readonly buttons?: readonly TemplateButton[];
}

export interface Template {
  readonly name: string;
  readonly parameter_format: 'NAMED' | 'POSITIONAL';
  readonly components: readonly TemplateComponent[];
  readonly language: string;
  readonly status: TemplateStatus;
  readonly category: TemplateCategory;
  readonly id: string;
}

type Definition = Omit<Template, 'id'>;

const ORDER_BODY = 'Thank you, {{first_name}}! Your order {{order_number}} is confirmed.';
const namedExample = (pairs: [string, string][]) => ({
  body_text_named_params: pairs.map(([param_name, example]) => ({ param_name, example })),
});

/** The WABA's templates: every category, named and positional parameters, media headers, all statuses. */
const DEFINITIONS: readonly Definition[] = [
  {
    name: 'hello_world',
    parameter_format: 'POSITIONAL',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Hello World' },
      {
        type: 'BODY',
        text: 'Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta.',
      },
      { type: 'FOOTER', text: 'WhatsApp Business Platform sample message' },
    ],
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
  },
  {
    name: 'order_confirmation',
    parameter_format: 'NAMED',
    components: [
      {
        type: 'BODY',
        text: ORDER_BODY,
        example: namedExample([
          ['first_name', 'Jessica'],
          ['order_number', 'SKBUP2-4CPIG9'],
        ]),
      },
    ],
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
  },
  {
    name: 'order_confirmation',
    parameter_format: 'NAMED',
    components: [
      {
        type: 'BODY',
        text: 'Obrigado, {{first_name}}! Seu pedido {{order_number}} está confirmado.',
        example: namedExample([
          ['first_name', 'João'],
          ['order_number', 'SKBUP2-4CPIG9'],
        ]),
      },
    ],
    language: 'pt_BR',
    status: 'APPROVED',
    category: 'UTILITY',
  },
  {
    name: 'summer_sale',
    parameter_format: 'NAMED',
    components: [
      {
        type: 'HEADER',
        format: 'IMAGE',
        example: { header_handle: ['https://scontent.whatsapp.net/v/t61.29466-34/summer_sale.jpg'] },
      },
      {
        type: 'BODY',
        text: 'Hi {{first_name}}! Use code {{discount_code}} for {{discount_amount}} off this week.',
        example: namedExample([
          ['first_name', 'Jessica'],
          ['discount_code', 'WELCOME25'],
          ['discount_amount', '25%'],
        ]),
      },
      { type: 'FOOTER', text: 'Reply STOP to opt out' },
      { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Stop promotions' }] },
    ],
    language: 'en_US',
    status: 'APPROVED',
    category: 'MARKETING',
  },
  {
    name: 'shipping_update',
    parameter_format: 'POSITIONAL',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['SKBUP2-4CPIG9'] } },
      {
        type: 'BODY',
        text: 'Hi {{1}}, your package {{2}} ships {{3}}.',
        example: { body_text: [['Pablo', '1Z999AA10123456784', 'tomorrow']] },
      },
      {
        type: 'BUTTONS',
        buttons: [
          {
            type: 'URL',
            text: 'Track',
            url: 'https://shop.example.com/track/{{1}}',
            example: ['https://shop.example.com/track/1Z999AA10123456784'],
          },
        ],
      },
    ],
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
  },
  {
    name: 'verification_code',
    parameter_format: 'POSITIONAL',
    components: [
      {
        type: 'BODY',
        text: '*{{1}}* is your verification code. For your security, do not share this code.',
        example: { body_text: [['123456']] },
      },
      { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
    ],
    language: 'en_US',
    status: 'APPROVED',
    category: 'AUTHENTICATION',
  },
  {
    name: 'winter_promo',
    parameter_format: 'NAMED',
    components: [
      {
        type: 'BODY',
        text: 'Winter is here, {{first_name}}: 30% off everything.',
        example: namedExample([['first_name', 'Jessica']]),
      },
    ],
    language: 'en_US',
    status: 'PENDING',
    category: 'MARKETING',
  },
  {
    name: 'miracle_cure',
    parameter_format: 'POSITIONAL',
    components: [{ type: 'BODY', text: 'Lose 10 kg in 3 days, guaranteed!' }],
    language: 'en_US',
    status: 'REJECTED',
    category: 'MARKETING',
  },
];

/** The template catalogue of the emulated WABA, with Meta's paged listing. */
export class TemplateCatalogue {
  readonly all: readonly Template[];

  constructor(random: Random) {
    this.all = DEFINITIONS.map((d) => ({ ...d, id: graphObjectId(random) }));
  }

  find(name: string, language: string): Template | undefined {
    return this.all.find((t) => t.name === name && t.language === language);
  }

  /**
   * `GET /{waba-id}/message_templates`: filters `name`, `status`, `category`, `language`; `fields`;
   * `limit` (default 25) with `before`/`after` cursors and a `next` link; `summary=total_count`.
   */
  list(query: URLSearchParams, selfUrl: URL): Record<string, unknown> {
    const filtered = this.all.filter(
      (t) =>
        matches(query.get('name'), t.name) &&
        matches(query.get('status'), t.status) &&
        matches(query.get('category'), t.category) &&
        matches(query.get('language'), t.language),
    );
    const limit = clamp(Number(query.get('limit') ?? 25), 1, 100);
    const after = decodeCursor(query.get('after'));
    const before = decodeCursor(query.get('before'));
    const start = after !== undefined ? after + 1 : before !== undefined ? Math.max(0, before - limit) : 0;
    const page = filtered.slice(start, start + limit);
    const fields = query
      .get('fields')
      ?.split(',')
      .map((f) => f.trim());
    const data = page.map((t) => (fields ? pick(t, fields) : t));
    const paging: Record<string, unknown> = {};
    if (page.length > 0) {
      paging.cursors = { before: encodeCursor(start), after: encodeCursor(start + page.length - 1) };
      if (start + page.length < filtered.length)
        paging.next = link(selfUrl, 'after', start + page.length - 1);
      if (start > 0) paging.previous = link(selfUrl, 'before', start);
    }
    return {
      data,
      paging,
      ...(query.get('summary') === 'total_count' ? { summary: { total_count: filtered.length } } : {}),
    };
  }

  /** `GET /{template-id}`. */
  describe(id: string): Template {
    const template = this.all.find((t) => t.id === id);
    if (!template) throw unknownObject(id);
    return template;
  }
}

function matches(wanted: string | null, value: string): boolean {
  return wanted === null || wanted.split(',').some((w) => w.trim().toUpperCase() === value.toUpperCase());
}

function pick(template: Template, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in template && f !== 'id') out[f] = template[f as keyof Template];
  out.id = template.id;
  return out;
}

function clamp(n: number, min: number, max: number): number {
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.floor(n))) : max;
}

function encodeCursor(index: number): string {
  return Buffer.from(`template:${index}`).toString('base64url');
}

function decodeCursor(cursor: string | null): number | undefined {
  if (!cursor) return undefined;
  const match = /^template:(\d{1,6})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  return match ? Number(match[1]) : undefined;
}

function link(selfUrl: URL, key: 'after' | 'before', index: number): string {
  const url = new URL(selfUrl);
  url.searchParams.delete('after');
  url.searchParams.delete('before');
  url.searchParams.set(key, encodeCursor(index));
  return url.toString();
}

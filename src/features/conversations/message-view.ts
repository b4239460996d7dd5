import { restrictedKinds } from '../dlp/restricted-field.ts';

/** A message as the console shows it: what was said, never Meta's ids or the sender's number. */
export interface MessageView {
  readonly id: string;
  readonly direction: 'inbound' | 'outbound';
  readonly type: string;
  readonly status: string;
  readonly errorCode: number | null;
  readonly sentAt: string;
  readonly text?: string;
  readonly caption?: string;
  readonly media?: {
    readonly id: string;
    readonly mimeType: string;
    readonly size: number;
    readonly filename?: string;
  };
  readonly location?: {
    readonly latitude: number;
    readonly longitude: number;
    readonly name?: string;
    readonly address?: string;
  };
  /** A tapped button or list row: the label the customer saw. */
  readonly reply?: { readonly title: string; readonly description?: string };
  readonly reaction?: string | null;
  readonly contacts?: readonly string[];
  readonly template?: { readonly name: string; readonly language: string };
  /** Kinds cut out of the text into the restricted field (revealed only with `revealRestricted`). */
  readonly restricted?: readonly string[];
}

export interface StoredMessage {
  readonly id: string;
  readonly direction: string;
  readonly type: string;
  readonly status: string;
  readonly error_code: number | null;
  readonly sent_at: string;
  readonly media_id: string | null;
  readonly mime_type: string | null;
  readonly size_bytes: number | null;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const str = (v: unknown, max = 4096): string | undefined =>
  typeof v === 'string' ? v.slice(0, max) : undefined;
const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : undefined;

const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'document', 'sticker']);

/** Only the fields a person reads, picked from the decrypted message object (inbound or outbound). */
export function toMessageView(row: StoredMessage, content: Json): MessageView {
  const type = str(content.type, 32) ?? row.type;
  const base = {
    id: row.id,
    direction: row.direction === 'outbound' ? ('outbound' as const) : ('inbound' as const),
    type,
    status: row.status,
    errorCode: row.error_code,
    sentAt: row.sent_at,
    ...defined({ restricted: restrictedKinds(content) }),
  };
  const body = obj(content[type]);
  if (type === 'text') return { ...base, ...defined({ text: str(body.body) }) };
  if (MEDIA_TYPES.has(type)) {
    const media = row.media_id
      ? {
          id: row.media_id,
          mimeType: row.mime_type ?? 'application/octet-stream',
          size: Number(row.size_bytes ?? 0),
          ...defined({ filename: str(body.filename, 240) }),
        }
      : undefined;
    return { ...base, ...defined({ caption: str(body.caption, 1024), media }) };
  }
  if (type === 'location') {
    const latitude = num(body.latitude);
    const longitude = num(body.longitude);
    if (latitude === undefined || longitude === undefined) return base;
    return {
      ...base,
      location: {
        latitude,
        longitude,
        ...defined({ name: str(body.name, 256), address: str(body.address, 512) }),
      },
    };
  }
  if (type === 'interactive') {
    const reply = obj(body.button_reply ?? body.list_reply);
    const title = str(reply.title, 256);
    return title === undefined
      ? base
      : { ...base, reply: { title, ...defined({ description: str(reply.description, 256) }) } };
  }
  if (type === 'button') {
    const title = str(body.text, 256);
    return title === undefined ? base : { ...base, reply: { title } };
  }
  if (type === 'reaction') return { ...base, reaction: str(body.emoji, 16) ?? null };
  if (type === 'contacts' && Array.isArray(content.contacts)) {
    const names = content.contacts.map((c) => str(obj(obj(c).name).formatted_name, 256) ?? '?');
    return { ...base, contacts: names.slice(0, 20) };
  }
  if (type === 'template') {
    const name = str(body.name, 512);
    const language = str(obj(body.language).code, 15) ?? '';
    return name === undefined ? base : { ...base, template: { name, language } };
  }
  return base;
}

function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../../lib/clock.ts';
import { GraphError, unknownObject } from './errors.ts';
import { graphObjectId } from './ids.ts';
import type { Random } from './random.ts';

const MB = 1024 * 1024;
const DAY_MS = 24 * 3_600_000;
/** Media URLs expire after 5 minutes (§2.5). */
export const MEDIA_URL_TTL_MS = 5 * 60_000;

/** Supported MIME types and their size limits (§2.5); stickers use the animated limit. */
const LIMITS: Record<string, number> = {
  'audio/aac': 16 * MB,
  'audio/amr': 16 * MB,
  'audio/mpeg': 16 * MB,
  'audio/mp4': 16 * MB,
  'audio/ogg': 16 * MB,
  'text/plain': 100 * MB,
  'application/pdf': 100 * MB,
  'application/vnd.ms-excel': 100 * MB,
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 100 * MB,
  'application/msword': 100 * MB,
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 100 * MB,
  'application/vnd.ms-powerpoint': 100 * MB,
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 100 * MB,
  'image/jpeg': 5 * MB,
  'image/png': 5 * MB,
  'image/webp': 500 * 1024,
  'video/3gpp': 16 * MB,
  'video/mp4': 16 * MB,
};

/** Magic bytes for the types whose content can be checked: a mismatch is Meta's common 131053. */
const SIGNATURES: Record<string, (b: Buffer) => boolean> = {
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/webp': (b) =>
    b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  'application/pdf': (b) => b.subarray(0, 5).toString('latin1') === '%PDF-',
  'audio/ogg': (b) => b.subarray(0, 4).toString('latin1') === 'OggS',
  'video/mp4': (b) => b.subarray(4, 8).toString('latin1') === 'ftyp',
  'video/3gpp': (b) => b.subarray(4, 8).toString('latin1') === 'ftyp',
};

/** The largest upload any type allows, plus room for the multipart envelope. */
export const MAX_UPLOAD_BYTES = 100 * MB + 64 * 1024;

export interface MediaItem {
  readonly id: string;
  readonly bytes: Buffer;
  /** As declared (may carry parameters, e.g. `audio/ogg; codecs=opus`). */
  readonly mimeType: string;
  /** Base64, as in Meta's current examples. */
  readonly sha256: string;
  readonly phoneNumberId: string;
  readonly origin: 'upload' | 'webhook';
  readonly expiresAt: number;
  readonly filename: string | undefined;
}

/** Uploaded and inbound media, their short-lived download URLs, and the downloads themselves. */
export class MediaStore {
  private readonly items = new Map<string, MediaItem>();

  constructor(
    private readonly deps: {
      clock: Clock;
      random: Random;
      urlSecret: Buffer;
      phoneNumberId: string;
      baseUrl: () => string;
    },
  ) {}

  /** Checks type, size and content like Meta's upload endpoint; unsupported media is a 131053. */
  upload(mimeType: string, bytes: Buffer, filename?: string): MediaItem {
    const base = baseType(mimeType);
    const limit = LIMITS[base];
    if (limit === undefined)
      throw new GraphError(
        131053,
        `Param file must be a file with one of the supported media types; got ${base.slice(0, 100)}.`,
      );
    if (bytes.length === 0 || bytes.length > limit)
      throw new GraphError(131053, `The file is ${bytes.length} bytes; ${base} allows 1 to ${limit} bytes.`);
    const looksRight = SIGNATURES[base];
    if (looksRight && !looksRight(bytes))
      throw new GraphError(131053, `The file content does not match the declared MIME type ${base}.`);
    return this.add(mimeType, bytes, 'upload', 30 * DAY_MS, filename);
  }

  /** Media a simulated customer sent: kept 7 days, like webhook media ids. */
  addInbound(mimeType: string, bytes: Buffer, filename?: string): MediaItem {
    return this.add(mimeType, bytes, 'webhook', 7 * DAY_MS, filename);
  }

  /** A live item, or undefined once deleted or expired. */
  get(id: string): MediaItem | undefined {
    const item = this.items.get(id);
    if (item && item.expiresAt <= this.now()) {
      this.items.delete(id);
      return undefined;
    }
    return item;
  }

  /** The `GET /{media-id}` answer, with a fresh 5-minute URL. */
  describe(id: string, phoneNumberId: string | null): Record<string, unknown> {
    const item = this.owned(id, phoneNumberId);
    return {
      url: this.urlFor(item),
      mime_type: item.mimeType,
      sha256: item.sha256,
      file_size: item.bytes.length,
      id: item.id,
      messaging_product: 'whatsapp',
    };
  }

  delete(id: string, phoneNumberId: string | null): void {
    this.owned(id, phoneNumberId);
    this.items.delete(id);
  }

  /** A lookaside-style URL: media id, expiry (Unix seconds) and an HMAC over both. */
  urlFor(item: MediaItem): string {
    const ext = Math.floor((this.now() + MEDIA_URL_TTL_MS) / 1000);
    const url = new URL('/whatsapp_business/attachments/', this.deps.baseUrl());
    url.searchParams.set('mid', item.id);
    url.searchParams.set('ext', String(ext));
    url.searchParams.set('hash', this.hash(item.id, ext));
    return url.toString();
  }

  /** The item a download URL names, if its signature holds and it has not expired. */
  resolveDownload(query: URLSearchParams): MediaItem | undefined {
    const mid = query.get('mid') ?? '';
    const ext = Number(query.get('ext'));
    const given = Buffer.from(query.get('hash') ?? '');
    const expected = Buffer.from(this.hash(mid, ext));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    if (!Number.isInteger(ext) || ext * 1000 <= this.now()) return undefined;
    return this.get(mid);
  }

  private owned(id: string, phoneNumberId: string | null): MediaItem {
    const item = this.get(id);
    if (!item || (phoneNumberId !== null && phoneNumberId !== item.phoneNumberId)) throw unknownObject(id);
    return item;
  }

  private add(
    mimeType: string,
    bytes: Buffer,
    origin: MediaItem['origin'],
    ttl: number,
    filename?: string,
  ): MediaItem {
    let id = graphObjectId(this.deps.random);
    while (this.items.has(id)) id = graphObjectId(this.deps.random);
    const item: MediaItem = {
      id,
      bytes,
      mimeType,
      sha256: createHash('sha256').update(bytes).digest('base64'),
      phoneNumberId: this.deps.phoneNumberId,
      origin,
      expiresAt: this.now() + ttl,
      filename,
    };
    this.items.set(id, item);
    return item;
  }

  private hash(mid: string, ext: number): string {
    return createHmac('sha256', this.deps.urlSecret).update(`${mid}.${ext}`).digest('base64url').slice(0, 22);
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }
}

/** `audio/ogg; codecs=opus` → `audio/ogg`. */
export function baseType(mimeType: string): string {
  return (mimeType.split(';')[0] ?? '').trim().toLowerCase();
}

import type { Readable } from 'node:stream';
import { FormData, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { GraphApiError } from './graph-errors.ts';

export interface GraphCredentials {
  readonly phoneNumberId: string;
  readonly wabaId: string;
  readonly accessToken: string;
}

const errorBody = z.object({
  error: z
    .object({
      message: z.string().max(2000).optional(),
      code: z.number().int(),
      error_data: z
        .object({ details: z.string().max(2000).optional() })
        .passthrough()
        .optional(),
    })
    .passthrough(),
});

const mediaInfo = z
  .object({
    url: z.string().url().max(4096),
    mime_type: z.string().max(200),
    sha256: z.string().max(200).optional(),
    file_size: z.union([z.string(), z.number()]).optional(),
    id: z.string().max(200),
  })
  .passthrough();
export type MediaInfo = z.infer<typeof mediaInfo>;

const sendResult = z
  .object({
    contacts: z
      .array(z.object({ input: z.string().optional(), wa_id: z.string().optional() }).passthrough())
      .optional(),
    messages: z
      .array(
        z.object({ id: z.string().min(1).max(512), message_status: z.string().optional() }).passthrough(),
      )
      .min(1),
  })
  .passthrough();
export type SendResult = z.infer<typeof sendResult>;

/**
 * The Graph API client. The access token only ever travels in the Authorization header; errors come
 * back as GraphApiError keyed on Meta's code. The base URL points at Meta or at the bundled emulator.
 */
export function createGraphClient(options: { base: string; version: string; dispatcher?: Dispatcher }) {
  const root = `${options.base}/${options.version}`;

  async function call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    token: string,
    schema: z.ZodType<T>,
    body?: unknown,
  ): Promise<T> {
    const res = await request(url, {
      method,
      dispatcher: options.dispatcher,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    const json = safeJson(text);
    if (res.statusCode >= 400 || (json && typeof json === 'object' && 'error' in json))
      throw toError(json, res.statusCode);
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new GraphApiError(-1, 'Unexpected Graph API answer', 'response shape', res.statusCode);
    return parsed.data;
  }

  return {
    sendMessage(creds: GraphCredentials, message: Record<string, unknown>): Promise<SendResult> {
      return call('POST', `${root}/${creds.phoneNumberId}/messages`, creds.accessToken, sendResult, {
        messaging_product: 'whatsapp',
        ...message,
      });
    },

    markRead(creds: GraphCredentials, wamid: string): Promise<unknown> {
      return call('POST', `${root}/${creds.phoneNumberId}/messages`, creds.accessToken, z.unknown(), {
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: wamid,
      });
    },

    /** Looks up a media id; the URL it returns expires after five minutes. */
    getMedia(creds: GraphCredentials, mediaId: string): Promise<MediaInfo> {
      const url = `${root}/${encodeURIComponent(mediaId)}?phone_number_id=${creds.phoneNumberId}`;
      return call('GET', url, creds.accessToken, mediaInfo);
    },

    /** Streams a media download; a 404 means the URL expired (look the media id up again). */
    async download(
      creds: GraphCredentials,
      url: string,
    ): Promise<{ status: number; body: Readable; length?: number }> {
      const res = await request(url, {
        method: 'GET',
        dispatcher: options.dispatcher,
        headers: { authorization: `Bearer ${creds.accessToken}` },
        headersTimeout: 30_000,
        bodyTimeout: 60_000,
      });
      const length = Number(res.headers['content-length']);
      return {
        status: res.statusCode,
        body: res.body as unknown as Readable,
        length: Number.isFinite(length) ? length : undefined,
      };
    },

    /** Uploads a file for sending by id (never by public link); returns Meta's media id. */
    async uploadMedia(
      creds: GraphCredentials,
      file: Buffer,
      mimeType: string,
      filename: string,
    ): Promise<string> {
      const form = new FormData();
      form.set('messaging_product', 'whatsapp');
      form.set('type', mimeType);
      form.set('file', new Blob([file], { type: mimeType }), filename);
      const res = await request(`${root}/${creds.phoneNumberId}/media`, {
        method: 'POST',
        dispatcher: options.dispatcher,
        headers: { authorization: `Bearer ${creds.accessToken}` },
        body: form,
      });
      const json = safeJson(await res.body.text());
      if (res.statusCode >= 400) throw toError(json, res.statusCode);
      const parsed = z.object({ id: z.string().min(1).max(200) }).safeParse(json);
      if (!parsed.success)
        throw new GraphApiError(-1, 'Unexpected Graph API answer', 'upload', res.statusCode);
      return parsed.data.id;
    },

    setTwoStepPin(creds: GraphCredentials, pin: string): Promise<unknown> {
      return call('POST', `${root}/${creds.phoneNumberId}`, creds.accessToken, z.unknown(), { pin });
    },

    phoneNumberFields(creds: GraphCredentials, fields: string[]): Promise<Record<string, unknown>> {
      const url = `${root}/${creds.phoneNumberId}?fields=${fields.map(encodeURIComponent).join(',')}`;
      return call('GET', url, creds.accessToken, z.record(z.unknown()));
    },

    listTemplates(creds: GraphCredentials, after?: string): Promise<Record<string, unknown>> {
      const url = `${root}/${creds.wabaId}/message_templates?limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      return call('GET', url, creds.accessToken, z.record(z.unknown()));
    },
  };
}

export type GraphClient = ReturnType<typeof createGraphClient>;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toError(json: unknown, status: number): GraphApiError {
  const parsed = errorBody.safeParse(json);
  if (!parsed.success)
    return new GraphApiError(status >= 500 ? 1 : -1, `HTTP ${status}`, 'no error body', status);
  const { code, message, error_data } = parsed.data.error;
  return new GraphApiError(
    code,
    (message ?? '').replace(/^\(#\d+\)\s*/, '').slice(0, 200),
    error_data?.details ?? '',
    status,
  );
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from './context.ts';
import { GraphError, unknownObject } from './errors.ts';
import { bearerMatches, readBody, readJson, replyJson } from './http-util.ts';
import { MAX_UPLOAD_BYTES } from './media.ts';
import { handleMessages } from './messages.ts';
import { parseMultipart } from './multipart.ts';
import type { Json } from './payloads.ts';
import { listPhoneNumbers, readPhoneNumber, readWaba, setPin } from './phone-number.ts';

const VERSION = /^v\d{1,3}\.\d{1,2}$/;

/** Handles `/_emulator/…` control calls (bearer-checked before it is called). */
export type ControlHandler = (req: IncomingMessage, url: URL, path: string[]) => Promise<Json>;

/**
 * The Graph API surface: `/{version?}/{id}[/{edge}]`, bearer token required (190 otherwise, and
 * also for a token in the query string, which leaks into logs), errors in Meta's envelope; plus
 * the lookaside media download URL and the `/_emulator` control calls.
 */
export function createGraphHandler(ctx: EmulatorContext, control: ControlHandler) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', ctx.baseUrl());
    const path = url.pathname.split('/').filter(Boolean);
    if (path[0] === 'whatsapp_business' && path[1] === 'attachments') return download(ctx, req, res, url);
    const version = VERSION.test(path[0] ?? '') ? path.shift() : undefined;
    ctx.journal.requests.total++;
    let status = 200;
    let code: number | undefined;
    try {
      if (url.searchParams.has('access_token'))
        throw new GraphError(190, 'The emulator only accepts the access token in the Authorization header.');
      if (!bearerMatches(req, ctx.settings.accessToken)) throw new GraphError(190);
      const answer =
        path[0] === '_emulator'
          ? await control(req, url, path.slice(1))
          : await route(ctx, req, url, path, version);
      replyJson(res, 200, answer);
    } catch (error) {
      const graphError = error instanceof GraphError ? error : new GraphError(131000);
      if (!(error instanceof GraphError)) ctx.logger?.error({ err: error }, 'emulator request failed');
      ({ status, code } = graphError);
      ctx.journal.recordError(graphError.code);
      const headers: Record<string, string> =
        status === 401
          ? { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token"' }
          : {};
      replyJson(res, status, graphError.body(version), headers);
    } finally {
      ctx.logger?.debug({ method: req.method, path: url.pathname, status, code }, 'emulator graph request');
    }
  };
}

async function route(
  ctx: EmulatorContext,
  req: IncomingMessage,
  url: URL,
  path: string[],
  version: string | undefined,
): Promise<Json> {
  const [id = '', edge, ...rest] = path;
  const { phoneNumberId, wabaId } = ctx.settings;
  const method = req.method ?? 'GET';
  if (rest.length > 0 || id === '') throw unknownObject(url.pathname);
  if (edge === 'messages' && method === 'POST' && id === phoneNumberId)
    return handleMessages(ctx, version, await readJson(req));
  if (edge === 'media' && method === 'POST' && id === phoneNumberId) return upload(ctx, req);
  if (edge === 'message_templates' && method === 'GET' && id === wabaId)
    return ctx.templates.list(url.searchParams, url);
  if (edge === 'phone_numbers' && method === 'GET' && id === wabaId) return listPhoneNumbers(ctx);
  if (edge !== undefined) throw unknownObject(id);
  if (method === 'GET') {
    if (id === phoneNumberId) return readPhoneNumber(ctx, url.searchParams.get('fields'));
    if (id === wabaId) return readWaba(ctx);
    const template = ctx.templates.all.find((t) => t.id === id);
    if (template) return { ...template };
    return ctx.media.describe(id, url.searchParams.get('phone_number_id'));
  }
  if (method === 'POST' && id === phoneNumberId) return setPin(ctx, await readJson(req));
  if (method === 'DELETE') {
    ctx.media.delete(id, url.searchParams.get('phone_number_id'));
    return { success: true };
  }
  throw unknownObject(id);
}

/** `POST /{phone-number-id}/media`, multipart: `messaging_product=whatsapp`, `file`, optional `type`. */
async function upload(ctx: EmulatorContext, req: IncomingMessage): Promise<Json> {
  const parts = parseMultipart(req.headers['content-type'], await readBody(req, MAX_UPLOAD_BYTES));
  if (!parts) throw new GraphError(100, 'The request must be multipart/form-data.');
  const field = (name: string) => parts.find((p) => p.name === name);
  if (field('messaging_product')?.data.toString() !== 'whatsapp')
    throw new GraphError(100, 'The parameter messaging_product is required and must be whatsapp.');
  const file = field('file');
  if (!file || file.filename === undefined) throw new GraphError(100, 'The parameter file is required.');
  const type = field('type')?.data.toString('utf8').trim() || file.contentType;
  if (!type) throw new GraphError(100, 'The parameter type is required.');
  return { id: ctx.media.upload(type.slice(0, 200), file.data, file.filename).id };
}

/** The media URL: bytes with a `content-type` for the bearer of the token; 404 otherwise (§2.5). */
function download(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const item = bearerMatches(req, ctx.settings.accessToken)
    ? ctx.media.resolveDownload(url.searchParams)
    : undefined;
  if (!item || req.method !== 'GET') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
    return;
  }
  res.writeHead(200, { 'content-type': item.mimeType, 'content-length': item.bytes.length });
  res.end(item.bytes);
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphError } from './errors.ts';
import { metaJson } from './meta-json.ts';

/** Reads a request body up to `limit` bytes; a larger body is a (#100). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new GraphError(100, `The request body is larger than ${limit} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new GraphError(100, `The request body is larger than ${limit} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A JSON body (or, for simple POSTs, a form-encoded one); malformed input is a (#100). */
export async function readJson(req: IncomingMessage, limit = 1024 * 1024): Promise<unknown> {
  const body = await readBody(req, limit);
  if (/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? ''))
    return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new GraphError(100, 'The request body is not valid JSON.');
  }
}

/** Answers with Meta-escaped JSON, as the Graph API does. */
export function replyJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = Buffer.from(metaJson(value));
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': body.length,
    ...headers,
  });
  res.end(body);
}

/** True when `Authorization: Bearer <token>` carries exactly the expected token (constant time). */
export function bearerMatches(req: IncomingMessage, expected: string): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1]), digest(expected));
}

/** One part of a `multipart/form-data` body. */
export interface FormPart {
  readonly name: string;
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
  readonly data: Buffer;
}

const MAX_PARTS = 16;

/**
 * Parses a `multipart/form-data` body held in memory (RFC 7578). Returns undefined when the body
 * is not well-formed, so the caller answers with a validation error.
 */
export function parseMultipart(contentType: string | undefined, body: Buffer): FormPart[] | undefined {
  const match = /^multipart\/form-data;.*\bboundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(
    contentType ?? '',
  );
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) return undefined;
  while (parts.length <= MAX_PARTS) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return parts;
    if (body.subarray(at, at + 2).toString() !== '\r\n') return undefined;
    const headerEnd = body.indexOf('\r\n\r\n', at);
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), at);
    if (headerEnd < 0 || next < 0 || headerEnd > next) return undefined;
    const part = readPart(
      body.subarray(at + 2, headerEnd).toString('latin1'),
      body.subarray(headerEnd + 4, next),
    );
    if (!part) return undefined;
    parts.push(part);
    at = next + 2;
  }
  return undefined;
}

function readPart(headerText: string, data: Buffer): FormPart | undefined {
  const headers = new Map<string, string>();
  for (const line of headerText.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = headers.get('content-disposition') ?? '';
  const name = /\bname="([^"]{1,200})"/.exec(disposition)?.[1];
  if (!name || !/^form-data\b/i.test(disposition)) return undefined;
  const filename = /\bfilename="([^"]{0,255})"/.exec(disposition)?.[1];
  return {
    name,
    filename: filename === undefined ? undefined : Buffer.from(filename, 'latin1').toString('utf8'),
    contentType: headers.get('content-type'),
    data,
  };
}

// Helpers for the emulator tests: a real webhook receiver on loopback, a manual clock, Graph calls.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../src/lib/clock.ts';
import {
  startEmulator,
  type Emulator,
  type EmulatorOptions,
} from '../src/features/whatsapp/emulator/index.ts';

export const APP_SECRET = 'test-app-secret-0123456789';
export const ACCESS_TOKEN = 'EAAtest-access-token-0123456789';
export const VERIFY_TOKEN = 'test-verify-token';

/** A webhook body as the tests read it: the reference's fields, anything else kept as unknown. */
export interface WireError {
  readonly code: number;
  readonly title: string;
  readonly message: string;
  readonly error_data: { readonly details: string };
  readonly href?: string;
}
export interface WireContact {
  readonly profile?: { readonly name: string; readonly username?: string };
  readonly wa_id?: string;
  readonly user_id: string;
  readonly parent_user_id?: string;
  readonly country_code?: string;
}
export interface WireMessage {
  readonly id: string;
  readonly type: string;
  readonly from?: string;
  readonly from_user_id?: string;
  readonly timestamp: string;
  readonly context?: { readonly from?: string; readonly id?: string; readonly forwarded?: boolean };
  readonly text?: { readonly body: string };
  readonly reaction?: { readonly message_id: string; readonly emoji?: string };
  readonly referral?: { readonly source_type: string };
  readonly interactive?: { readonly type: string };
  readonly [key: string]: unknown;
}
export interface WireStatus {
  readonly id: string;
  readonly status: string;
  readonly timestamp: string;
  readonly recipient_id: string;
  readonly biz_opaque_callback_data?: string;
  readonly conversation?: { readonly id: string; readonly origin: { readonly type: string } };
  readonly pricing?: {
    readonly billable: boolean;
    readonly pricing_model: string;
    readonly type: string;
    readonly category: string;
  };
  readonly errors?: readonly WireError[];
  readonly [key: string]: unknown;
}
export interface WirePreference {
  readonly wa_id?: string;
  readonly user_id: string;
  readonly value: string;
  readonly timestamp: unknown;
  readonly [key: string]: unknown;
}
export interface WireValue {
  readonly contacts?: readonly WireContact[];
  readonly messages?: readonly WireMessage[];
  readonly statuses?: readonly WireStatus[];
  readonly errors?: readonly WireError[];
  readonly user_preferences?: readonly WirePreference[];
  readonly [key: string]: unknown;
}
export interface WireEnvelope {
  readonly object: string;
  readonly entry: readonly {
    readonly id: string;
    readonly changes: readonly { readonly field: string; readonly value: WireValue }[];
  }[];
}

/** One request the receiver saw, with the exact bytes and whether the signature held over them. */
export interface Received {
  readonly method: string;
  readonly url: URL;
  readonly headers: http.IncomingHttpHeaders;
  readonly raw: Buffer;
  readonly at: number;
  readonly signatureValid: boolean;
  /** The parsed body of a POST. */
  readonly json: WireEnvelope;
}

export interface Receiver {
  readonly url: string;
  readonly requests: Received[];
  /** Status for each POST; default 200 when the signature holds, 401 otherwise. */
  respond: (request: Received, index: number) => number | 'destroy';
  /** Answer to the GET handshake; default echoes the challenge when the token matches. */
  handshake: (url: URL) => { status: number; body: string };
  posts(): Received[];
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Verifies like a careful client: HMAC-SHA256 over the raw bytes, constant-time compare. */
export function signatureHolds(raw: Buffer, header: string | undefined, secret = APP_SECRET): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(raw).digest('hex'));
  const given = Buffer.from(header.slice('sha256='.length));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startReceiver(): Promise<Receiver> {
  const requests: Received[] = [];
  let posts = 0;
  const receiver: Receiver = {
    url: '',
    requests,
    respond: (r) => (r.signatureValid ? 200 : 401),
    handshake: (url) =>
      url.searchParams.get('hub.mode') === 'subscribe' &&
      url.searchParams.get('hub.verify_token') === VERIFY_TOKEN
        ? { status: 200, body: url.searchParams.get('hub.challenge') ?? '' }
        : { status: 403, body: 'forbidden' },
    posts: () => requests.filter((r) => r.method === 'POST'),
    async waitFor(predicate, timeoutMs = 5_000) {
      const until = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > until) throw new Error('timed out waiting for the receiver');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    close: () => Promise.resolve(),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const signature = req.headers['x-hub-signature-256'];
      const entry: Received = {
        method: req.method ?? 'GET',
        url,
        headers: req.headers,
        raw,
        at: performance.now(),
        signatureValid: signatureHolds(raw, typeof signature === 'string' ? signature : undefined),
        json: (req.method === 'POST'
          ? JSON.parse(raw.toString('utf8'))
          : { object: '', entry: [] }) as WireEnvelope,
      };
      requests.push(entry);
      if (req.method === 'GET') {
        const answer = receiver.handshake(url);
        res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
        return;
      }
      const status = receiver.respond(entry, posts++);
      if (status === 'destroy') req.socket.destroy();
      else res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/webhooks/whatsapp/ch_test`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private ms = Date.parse('2026-06-01T12:00:00Z')) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** An emulator with the test credentials (and, when given, a receiver as callback). */
export function emulatorFor(
  receiver: Receiver | undefined,
  options: Partial<EmulatorOptions> = {},
): Promise<Emulator> {
  return startEmulator({
    appSecret: APP_SECRET,
    accessToken: ACCESS_TOKEN,
    verifyToken: VERIFY_TOKEN,
    ...(receiver ? { callbackUrl: receiver.url } : {}),
    statusDelaysMs: { sent: 5, delivered: 15, read: 30 },
    retry: { baseMs: 20, horizonMs: 60_000, timeoutMs: 2_000 },
    ...options,
  });
}

export interface GraphErrorBody {
  readonly message: string;
  readonly type: string;
  readonly code: number;
  readonly error_subcode?: number;
  readonly error_data: { readonly messaging_product: string; readonly details: string };
  readonly fbtrace_id: string;
}

/** A Graph answer body: the documented keys typed, the rest unknown. */
export interface GraphBody {
  readonly error?: GraphErrorBody;
  readonly messaging_product?: string;
  readonly contacts?: readonly {
    readonly input: string;
    readonly wa_id: string;
    readonly user_id?: string;
  }[];
  readonly messages?: readonly { readonly id: string; readonly message_status?: string }[];
  readonly [key: string]: unknown;
}

export interface GraphAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: GraphBody;
}

/** The error of an answer; fails the test when there is none. */
export function errorOf(answer: GraphAnswer): GraphErrorBody {
  if (!answer.body.error) throw new Error(`expected an error, got ${answer.status} ${answer.text}`);
  return answer.body.error;
}

/** The message id of an accepted send; fails the test otherwise. */
export function messageIdOf(answer: GraphAnswer): string {
  const id = answer.body.messages?.[0]?.id;
  if (id === undefined) throw new Error(`expected an accepted send, got ${answer.status} ${answer.text}`);
  return id;
}

/** A string field of an answer body (media ids, URLs). */
export function field(answer: GraphAnswer, key: string): string {
  const value = answer.body[key];
  if (typeof value !== 'string') throw new Error(`expected a string ${key} in ${answer.text}`);
  return value;
}

/** A Graph API call with the bearer token (or the given one; `null` for none). */
export async function graph(
  emulator: Emulator,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = ACCESS_TOKEN,
): Promise<GraphAnswer> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let payload: string | FormData | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${emulator.url}${path}`, { method, headers, body: payload });
  const text = await res.text();
  let parsed: GraphBody = {};
  try {
    parsed = JSON.parse(text) as GraphBody;
  } catch {
    parsed = {};
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** Asserts the reference error envelope (§2.4) with this code and HTTP status. */
export function assertGraphError(answer: GraphAnswer, code: number, status = 400): void {
  assert.equal(answer.status, status, answer.text);
  const error = errorOf(answer);
  assert.equal(error.code, code);
  assert.equal(
    error.type,
    code === 100 && 'error_subcode' in error ? 'GraphMethodException' : 'OAuthException',
  );
  assert.match(error.message, new RegExp(`^\\(#${code}\\) `));
  assert.equal(error.error_data.messaging_product, 'whatsapp');
  assert.equal(typeof error.error_data.details, 'string');
  assert.match(error.fbtrace_id, /^[A-Za-z0-9_-]{23}$/);
}

/** Message fields of a text send. */
export const text = (to: string, body = 'Hello from the shop') => ({ to, type: 'text', text: { body } });

/** Message fields of a template send. */
export const template = (to: string, name: string, components: unknown[] = [], code = 'en_US') => ({
  to,
  type: 'template',
  template: { name, language: { code }, components },
});

/** `POST /v23.0/{phone}/messages` with the given message fields. */
export function send(
  emulator: Emulator,
  message: Record<string, unknown>,
  version = 'v23.0',
): Promise<GraphAnswer> {
  return graph(emulator, 'POST', `/${version}/${emulator.settings.phoneNumberId}/messages`, {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    ...message,
  });
}

/** Every `value` of every change in the POSTs, with its field. */
export function values(posts: readonly Received[]): { field: string; value: WireValue }[] {
  return posts.flatMap((p) =>
    p.json.entry.flatMap((e) => e.changes.map((c) => ({ field: c.field, value: c.value }))),
  );
}

export const messagesIn = (posts: readonly Received[]): WireMessage[] =>
  values(posts).flatMap((v) => v.value.messages ?? []);
export const statusesIn = (posts: readonly Received[]): WireStatus[] =>
  values(posts).flatMap((v) => v.value.statuses ?? []);

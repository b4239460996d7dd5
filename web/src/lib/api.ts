/** An error answer of the ChatVault API: `{ error: { code, message }, requestId }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

interface Handlers {
  /** The session ended (expired, revoked, signed out elsewhere). */
  onSessionEnded(): void;
  /** A sensitive action needs a fresh second factor; resolves true once verified. */
  onStepUp(): Promise<boolean>;
}

let csrfToken: string | undefined;
let handlers: Handlers = { onSessionEnded: () => undefined, onStepUp: () => Promise.resolve(false) };

export function setApiHandlers(next: Handlers): void {
  handlers = next;
}

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

export interface CallOptions {
  /** Sign-in and enrollment calls: a 401 there is an answer, not an ended session. */
  readonly anonymous?: boolean;
  readonly stepUp?: boolean;
}

async function send(method: string, path: string, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    if (csrfToken) headers['x-csrf-token'] = csrfToken;
  }
  return fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(method === 'GET' ? {} : { body: JSON.stringify(body ?? {}) }),
  });
}

/**
 * Calls the API with the session's CSRF token. A `step_up_required` answer opens the step-up
 * dialog and retries once; any other 401 means the session is over.
 */
export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  options: CallOptions = {},
): Promise<T> {
  const res = await send(method, path, body);
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (typeof json.csrfToken === 'string') csrfToken = json.csrfToken;
  if (res.ok) return json as T;
  const error = (json.error ?? {}) as { code?: string; message?: string; details?: Record<string, unknown> };
  const failure = new ApiError(
    res.status,
    error.code ?? 'internal',
    error.message ?? res.statusText,
    error.details,
  );
  if (failure.code === 'step_up_required' && options.stepUp !== false) {
    if (await handlers.onStepUp()) return api<T>(method, path, body, { ...options, stepUp: false });
  } else if (res.status === 401 && !options.anonymous) {
    handlers.onSessionEnded();
  }
  throw failure;
}

/** Downloads an authorised file (media, audit export) without putting anything in a URL or cache. */
export async function download(path: string, filename: string): Promise<void> {
  const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) {
    if (res.status === 401) handlers.onSessionEnded();
    throw new ApiError(res.status, res.status === 403 ? 'forbidden' : 'internal', res.statusText);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

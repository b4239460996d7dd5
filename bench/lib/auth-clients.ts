// Sign-in clients for the auth suite: operators signing in over HTTP, as browsers would.
import { totpCode } from '../../src/features/auth/totp.ts';

export interface SignInJob {
  readonly base: string;
  readonly tenant: string;
  readonly password: string;
  /** The server's clock reading (ms) the TOTP codes are computed for. */
  readonly atMs: number;
  readonly logins: ReadonlyArray<{ readonly email: string; readonly seed: Uint8Array }>;
  /** True: all at once; false: one after another. */
  readonly concurrent: boolean;
}

/** A minimal cookie-keeping HTTP client on fetch, as a browser console would behave. */
export function client(base: string) {
  const cookies = new Map<string, string>();
  let csrf: string | undefined;
  return async (pathname: string, body: unknown): Promise<Record<string, unknown>> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (cookies.size > 0) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (csrf) headers['x-csrf-token'] = csrf;
    const res = await fetch(base + pathname, { method: 'POST', headers, body: JSON.stringify(body) });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const json = (res.status === 204 ? {} : await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${pathname}: ${res.status}`);
    if (typeof json.csrfToken === 'string') csrf = json.csrfToken;
    return json;
  };
}

async function signIn(job: SignInJob, login: SignInJob['logins'][number]): Promise<number> {
  const started = performance.now();
  const call = client(job.base);
  await call('/api/v1/auth/login', { tenant: job.tenant, email: login.email, password: job.password });
  await call('/api/v1/auth/mfa/totp', { code: totpCode(login.seed, new Date(job.atMs)) });
  return performance.now() - started;
}

export async function runSignIns(job: SignInJob): Promise<number[]> {
  if (job.concurrent) return Promise.all(job.logins.map((login) => signIn(job, login)));
  const times: number[] = [];
  for (const login of job.logins) times.push(await signIn(job, login));
  return times;
}

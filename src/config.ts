import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './lib/errors.ts';
import { parseThrottle, type Throttle } from './features/keys/pacer.ts';

const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  CHATVAULT_DATA_DIR: z.string().min(1).max(4096).default('./.chatvault'),
  CHATVAULT_DATABASE_URL: z
    .string()
    .max(4096)
    .refine((v) => /^(postgres|postgresql|sqlite):/.test(v) || v.endsWith('.db') || v === ':memory:', {
      message: 'must be postgres://…, sqlite:PATH, a path ending in .db, or :memory:',
    })
    .optional(),
  CHATVAULT_DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .optional(),
  CHATVAULT_HOST: z.string().min(1).max(255).default('127.0.0.1'),
  CHATVAULT_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Where browsers reach ChatVault: cookie, CSRF-origin and WebAuthn (rpID = its host name) checks use it. */
  CHATVAULT_PUBLIC_URL: z
    .string()
    .url()
    .max(2048)
    .refine((v) => /^https?:\/\//.test(v), { message: 'must be an http:// or https:// URL' })
    .default('http://127.0.0.1:8080'),
  CHATVAULT_KEY_PROVIDER: z.enum(['local', 'pkcs11']).default('local'),
  CHATVAULT_AUTO_UNSEAL: booleanish.default('true'),
  CHATVAULT_PKCS11_LIBRARY: z.string().min(1).max(4096).optional(),
  CHATVAULT_PKCS11_TOKEN_LABEL: z.string().min(1).max(32).optional(),
  CHATVAULT_PKCS11_SLOT: z.coerce.number().int().min(0).max(1_000_000).optional(),
  CHATVAULT_PKCS11_PIN: z.string().min(1).max(256).optional(),
  CHATVAULT_PKCS11_KEY_LABEL: z.string().min(1).max(64).default('chatvault-root'),
  CHATVAULT_KEY_CACHE_SIZE: z.coerce.number().int().min(16).max(10_000_000).default(100_000),
  CHATVAULT_KEY_JOB_THROTTLE: z
    .string()
    .max(200)
    .optional()
    .transform((spec, ctx) => {
      try {
        return parseThrottle(spec);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  CHATVAULT_GRAPH_API_BASE: z.string().url().max(2048).default('https://graph.facebook.com'),
  CHATVAULT_GRAPH_API_VERSION: z
    .string()
    .regex(/^v\d{1,3}\.\d{1,2}$/, 'must look like v23.0')
    .default('v23.0'),
  CHATVAULT_SEND_RATE: z.coerce.number().int().min(1).max(1000).default(80),
  /** Bearer token Prometheus presents at `/metrics`; without one, only loopback clients may scrape. */
  CHATVAULT_METRICS_TOKEN: z.string().min(24, 'must be at least 24 characters').max(256).optional(),
  CHATVAULT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Alert and incident e-mail: STARTTLS when offered (`opportunistic`), or refuse plain text (`required`). */
  CHATVAULT_SMTP_TLS: z.enum(['opportunistic', 'required']).default('opportunistic'),
  /** PEM file of the CA(s) that sign the SMTP server's certificate (default: the system's roots). */
  CHATVAULT_SMTP_CA_FILE: z.string().min(1).max(4096).optional(),
});

export interface Config {
  readonly dataDir: string;
  readonly database: { readonly kind: 'sqlite'; readonly file: string } | PostgresTarget;
  readonly host: string;
  readonly port: number;
  /** Origin of the public URL, e.g. `https://vault.example.com` (no trailing slash). */
  readonly publicUrl: string;
  readonly keyProvider: 'local' | 'pkcs11';
  /** The HSM holding the root key when `keyProvider` is `pkcs11`. */
  readonly pkcs11: Pkcs11Config | undefined;
  readonly autoUnseal: boolean;
  readonly keyCacheSize: number;
  /** Pacing of key rewrap / re-encryption jobs (`slice=3,lag=10,rest=1,batch=500`, or `off`). */
  readonly keyJobThrottle: Throttle;
  readonly graphApi: { readonly base: string; readonly version: string };
  /** Messages per second per business number (Meta's default throughput is 80, up to 1,000). */
  readonly sendRate: number;
  readonly logLevel: z.infer<typeof schema>['CHATVAULT_LOG_LEVEL'];
  readonly metricsToken: string | undefined;
  /** Outgoing mail (alerts, incident e-mail): TLS mode and the CA file that verifies the server. */
  readonly smtp: { readonly tls: 'opportunistic' | 'required'; readonly caFile: string | undefined };
}

interface Pkcs11Config {
  readonly library: string;
  readonly tokenLabel: string | undefined;
  readonly slot: number | undefined;
  readonly pin: string;
  readonly keyLabel: string;
}

interface PostgresTarget {
  readonly kind: 'postgres';
  readonly url: string;
  readonly schema: string | undefined;
}

/**
 * Parses the `CHATVAULT_*` environment once. Every problem is reported in one ConfigError;
 * the result is deeply frozen and passed explicitly to whoever needs it.
 * @example const config = loadConfig(process.env);
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const relevant = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k.startsWith('CHATVAULT_') && v !== undefined && v !== ''),
  );
  const parsed = schema.safeParse(relevant);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`),
    );
  }
  const e = parsed.data;
  if (e.CHATVAULT_KEY_PROVIDER === 'pkcs11') {
    const missing = [
      e.CHATVAULT_PKCS11_LIBRARY
        ? null
        : 'CHATVAULT_PKCS11_LIBRARY: required with CHATVAULT_KEY_PROVIDER=pkcs11',
      e.CHATVAULT_PKCS11_PIN ? null : 'CHATVAULT_PKCS11_PIN: required with CHATVAULT_KEY_PROVIDER=pkcs11',
    ].filter((m): m is string => m !== null);
    if (missing.length > 0) throw new ConfigError(missing);
  }
  const dataDir = path.resolve(e.CHATVAULT_DATA_DIR);
  return deepFreeze({
    dataDir,
    database: databaseTarget(e.CHATVAULT_DATABASE_URL, e.CHATVAULT_DATABASE_SCHEMA, dataDir),
    host: e.CHATVAULT_HOST,
    port: e.CHATVAULT_PORT,
    publicUrl: new URL(e.CHATVAULT_PUBLIC_URL).origin,
    keyProvider: e.CHATVAULT_KEY_PROVIDER,
    pkcs11:
      e.CHATVAULT_KEY_PROVIDER === 'pkcs11'
        ? {
            library: e.CHATVAULT_PKCS11_LIBRARY!,
            tokenLabel: e.CHATVAULT_PKCS11_TOKEN_LABEL,
            slot: e.CHATVAULT_PKCS11_SLOT,
            pin: e.CHATVAULT_PKCS11_PIN!,
            keyLabel: e.CHATVAULT_PKCS11_KEY_LABEL,
          }
        : undefined,
    autoUnseal: e.CHATVAULT_AUTO_UNSEAL,
    keyCacheSize: e.CHATVAULT_KEY_CACHE_SIZE,
    keyJobThrottle: e.CHATVAULT_KEY_JOB_THROTTLE,
    graphApi: {
      base: e.CHATVAULT_GRAPH_API_BASE.replace(/\/+$/, ''),
      version: e.CHATVAULT_GRAPH_API_VERSION,
    },
    sendRate: e.CHATVAULT_SEND_RATE,
    logLevel: e.CHATVAULT_LOG_LEVEL,
    metricsToken: e.CHATVAULT_METRICS_TOKEN,
    smtp: {
      tls: e.CHATVAULT_SMTP_TLS,
      caFile: e.CHATVAULT_SMTP_CA_FILE === undefined ? undefined : path.resolve(e.CHATVAULT_SMTP_CA_FILE),
    },
  });
}

function databaseTarget(url: string | undefined, schemaName: string | undefined, dataDir: string) {
  if (url === undefined) return { kind: 'sqlite' as const, file: path.join(dataDir, 'chatvault.db') };
  if (/^postgres(ql)?:/.test(url)) return { kind: 'postgres' as const, url, schema: schemaName };
  if (url === ':memory:') return { kind: 'sqlite' as const, file: url };
  return { kind: 'sqlite' as const, file: path.resolve(url.replace(/^sqlite:/, '')) };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

import type { FastifyInstance, RouteOptions } from 'fastify';
import { ACTIONS, type ActionId } from '../features/access/cedar-schema.ts';

/**
 * How a route establishes who is calling:
 * - `session`: the operator's `__Host-cv_session` cookie (`request.actor`); 401 without it.
 * - `signIn`: a step of sign-in or enrollment (credentials or a pending sign-in/enrollment cookie).
 * - `apiKey`: a vendor API key (`Authorization: Bearer`), scoped per route.
 * - `webhookSignature`: Meta's `X-Hub-Signature-256` over the body, or the verify token.
 * - `linkToken`: a single-use or short-lived token a link carries (collect form, DSR download, opt-in).
 * - `metricsToken`: the scrape token of `/metrics`.
 * - `unsealShare`: the key shares are the credential.
 * - `public`: nobody in particular (health, static assets); the reason says why that is safe.
 */
export const ROUTE_AUTH = [
  'session',
  'signIn',
  'apiKey',
  'webhookSignature',
  'linkToken',
  'metricsToken',
  'unsealShare',
  'public',
] as const;
export type RouteAuth = (typeof ROUTE_AUTH)[number];

/**
 * What every route declares in `config.security`: its authentication and its authorisation, which
 * is exactly one of a Cedar action the handler enforces (the first one, when it enforces several) or
 * the reason none applies. Role gates are refused: every authorisation decision is Cedar's.
 * `orActions` lists further actions any one of which also admits the caller (an auditor's read of
 * what admins manage).
 */
export interface RouteSecurity {
  readonly auth: RouteAuth;
  readonly action?: ActionId;
  readonly orActions?: readonly ActionId[];
  readonly reason?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    security?: RouteSecurity;
  }
}

/** One registered route with its declaration. */
export interface DeclaredRoute {
  readonly method: string;
  readonly url: string;
  readonly security: RouteSecurity;
  readonly bodyLimit: number | undefined;
}

const tables = new WeakMap<FastifyInstance, DeclaredRoute[]>();

type Options = { config: { security: RouteSecurity } };
const options = (security: RouteSecurity): Options => ({ config: { security } });

/** Route options declaring a route's security, to pass (or spread) as a route's options. */
export const secure = {
  /** A signed-in operator; the handler enforces this Cedar action (or any one of `orActions`). */
  cedar: (action: ActionId, ...orActions: ActionId[]): Options =>
    options({ auth: 'session', action, ...(orActions.length > 0 ? { orActions } : {}) }),
  /** A signed-in operator acting on their own account; the reason says why no policy applies. */
  session: (reason: string): Options => options({ auth: 'session', reason }),
  /** Any other authentication, with the reason no Cedar decision applies. */
  by: (auth: Exclude<RouteAuth, 'session'>, reason: string): Options => options({ auth, reason }),
};

/** Why a declaration is invalid, or undefined when it is valid. */
export function declarationProblem(security: unknown): string | undefined {
  if (!security || typeof security !== 'object') return 'no config.security declaration';
  const s = security as Record<string, unknown>;
  if (!ROUTE_AUTH.includes(s.auth as RouteAuth)) return `unknown auth ${JSON.stringify(s.auth)}`;
  if (s.roles !== undefined) return 'role gates are not allowed: authorise with a Cedar action';
  const kinds = ['action', 'reason'].filter((k) => s[k] !== undefined);
  if (kinds.length !== 1) return 'declare exactly one of action or reason';
  if (s.action !== undefined && !ACTIONS.includes(s.action as ActionId))
    return `unknown Cedar action ${JSON.stringify(s.action)}`;
  if (s.action !== undefined && s.auth !== 'session') return 'a Cedar action needs session auth';
  if (s.orActions !== undefined) {
    const more = s.orActions as unknown[];
    if (s.action === undefined || !Array.isArray(more) || !more.every((a) => ACTIONS.includes(a as ActionId)))
      return 'orActions must list Cedar actions, next to action';
  }
  if (s.reason !== undefined && (typeof s.reason !== 'string' || s.reason.trim().length < 8))
    return 'the reason must say why no policy applies';
  return undefined;
}

/**
 * Refuses, at registration, any route without a valid `config.security` declaration, so a new
 * route cannot forget to say how it authenticates and authorises; keeps the table for the tests.
 */
export function installRouteSecurity(app: FastifyInstance): void {
  const table: DeclaredRoute[] = [];
  tables.set(app, table);
  app.addHook('onRoute', (route: RouteOptions) => {
    const security = route.config?.security;
    const problem = declarationProblem(security);
    const methods = [route.method].flat().join(',');
    if (problem) throw new Error(`Route ${methods} ${route.url}: ${problem}`);
    for (const method of [route.method].flat()) {
      table.push({ method, url: route.url, security: security!, bodyLimit: route.bodyLimit });
    }
  });
}

/** Every route registered on `app` with its declaration (after `app.ready()`, plugin routes too). */
export function declaredRoutes(app: FastifyInstance): readonly DeclaredRoute[] {
  const table = tables.get(app);
  if (!table) throw new Error('installRouteSecurity was not called on this app');
  return table;
}

import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { EmulatorContext } from './context.ts';
import type { Delivered, EmulatorStats } from './emulator.ts';
import { GraphError } from './errors.ts';
import type { DeliverKind, DeliverOptions } from './events.ts';
import { readJson } from './http-util.ts';
import { INBOUND_KINDS } from './inbound.ts';
import type { LoadOptions, LoadRun } from './load.ts';
import type { Json } from './payloads.ts';

const deliverBody = z.object({
  kind: z.enum([...INBOUND_KINDS, 'status', 'errors', 'user_preferences']),
  count: z.number().int().min(1).max(1000).default(1),
  customer: z.number().int().min(0).max(100_000).optional(),
  separately: z.boolean().optional(),
});

const sentQuery = z.object({
  from: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100_000).default(100_000),
});

const spamBody = z.object({ on: z.boolean() }).strict();

const loadBody = z.object({
  rate: z.number().positive().max(50_000),
  seconds: z.number().positive().max(600),
  batch: z.number().int().min(1).max(1000).optional(),
});

export interface ControlDeps {
  readonly ctx: EmulatorContext;
  readonly deliver: (kind: DeliverKind, options: DeliverOptions) => Promise<Delivered>;
  readonly stats: () => EmulatorStats;
  readonly subscribe: () => Promise<boolean>;
  readonly startLoad: (options: LoadOptions) => LoadRun;
}

/**
 * `/_emulator/…`, for driving an emulator in another process (the demo, a shell): `GET stats`,
 * `GET customers`, `GET sent?from=N&limit=M`
 * (a page of accepted sends from the N-th ever, with `next`), `POST deliver {kind,count,customer}`, `POST subscribe`,
 * `POST load {rate,seconds,batch}` (answers when the run is over), `POST spam-limit {on}` (131048 for
 * marketing templates while on). Same bearer token as the Graph API.
 */
export function createControlHandler(deps: ControlDeps) {
  return async (req: IncomingMessage, url: URL, path: string[]): Promise<Json> => {
    const action = `${req.method ?? 'GET'} ${path.join('/')}`;
    switch (action) {
      case 'GET stats':
        return { ...deps.stats() };
      case 'GET customers':
        return {
          data: deps.ctx.population.list.map((c) => ({ ...c, optedOut: deps.ctx.population.optedOut(c) })),
        };
      case 'GET sent': {
        const { from, limit } = parse(sentQuery, Object.fromEntries(url.searchParams));
        const page = deps.ctx.journal.sentFrom(from, limit);
        return { data: page.data.map((m) => ({ ...m, at: m.at.toISOString() })), next: page.next };
      }
      case 'POST subscribe':
        return { subscribed: await deps.subscribe() };
      case 'POST deliver': {
        const body = parse(deliverBody, await readJson(req));
        return { ...(await deps.deliver(body.kind, body)) };
      }
      case 'POST spam-limit':
        deps.ctx.spamLimited = parse(spamBody, await readJson(req)).on;
        return { spamLimited: deps.ctx.spamLimited };
      case 'POST load':
        return { ...(await deps.startLoad(parse(loadBody, await readJson(req))).done) };
      default:
        throw new GraphError(100, 'Unknown emulator control call.');
    }
  };
}

function parse<S extends z.ZodTypeAny>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new GraphError(100, `Invalid control request: ${result.error.issues[0]?.path.join('.') ?? ''}`);
  return result.data as z.output<S>;
}

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { systemClock } from '../../../lib/clock.ts';
import { createBatcher } from './batcher.ts';
import { isLoopbackHost, parseSettings, type EmulatorOptions, type EmulatorSettings } from './config.ts';
import type { EmulatorContext } from './context.ts';
import { createControlHandler } from './control-routes.ts';
import { createEvents, type DeliverKind, type DeliverOptions } from './events.ts';
import { createGraphHandler } from './graph-routes.ts';
import { Journal, type SentMessage } from './journal.ts';
import { runLoad, type LoadOptions, type LoadRun } from './load.ts';
import { MediaStore } from './media.ts';
import { metaJson } from './meta-json.ts';
import { countUpdates, type Json } from './payloads.ts';
import { Population, callingCodeOf } from './population.ts';
import { createRandom } from './random.ts';
import { RateLimits } from './rate-limits.ts';
import { startHttpServer } from './server.ts';
import { StatusLifecycle } from './statuses.ts';
import { TemplateCatalogue } from './templates.ts';
import { createWebhookSender, type DeliveryOutcome, type SenderStats } from './webhook-sender.ts';

/** The result of `deliver`: the ids of what was sent, and how its delivery ended. */
export interface Delivered {
  /** Message ids (inbound kinds and statuses) in the order generated. */
  readonly ids: readonly string[];
  readonly outcome: DeliveryOutcome;
}

export interface EmulatorStats {
  readonly webhooks: SenderStats;
  readonly graph: {
    readonly requests: number;
    readonly accepted: number;
    readonly errors: Record<string, number>;
  };
  /** Sends the journal keeps (the newest 100,000). */
  readonly sent: number;
  /** Sends accepted since the start. */
  readonly sentTotal: number;
  readonly readReceipts: number;
  readonly pinChanges: number;
  /** Unique users reached by templates outside a service window in the moving 24 hours. */
  readonly uniqueUsersReached24h: number;
}

/** The channel config `chatvault channel add --config FILE.json` expects. */
export interface ChannelSettings {
  readonly appSecret: string;
  readonly verifyToken: string;
  readonly accessToken: string;
  readonly phoneNumberId: string;
  readonly wabaId: string;
}

export interface Emulator {
  /** Base URL of the Graph API (`CHATVAULT_GRAPH_API_BASE`), e.g. `http://127.0.0.1:8090`. */
  readonly url: string;
  readonly settings: Omit<EmulatorSettings, 'appSecret' | 'accessToken' | 'verifyToken'>;
  readonly channel: ChannelSettings;
  readonly customers: Population;
  /** Sends inbound traffic of a kind (batched), or a ready-made webhook body as one delivery. */
  deliver(kind: DeliverKind, options?: DeliverOptions): Promise<Delivered>;
  deliver(payload: Json): Promise<Delivered>;
  /** Runs the `hub.challenge` handshake now; true when the callback echoed the challenge. */
  subscribe(): Promise<boolean>;
  /** Points webhooks at another callback (a new handshake precedes further deliveries). */
  setCallback(url: string, verifyToken: string): void;
  startLoad(options: LoadOptions): LoadRun;
  /** Outbound messages accepted through the Graph API, with the statuses reported so far. */
  sent(): readonly SentMessage[];
  stats(): EmulatorStats;
  /** True when the two-step verification PIN set through the API equals `pin`. */
  checkPin(pin: string): boolean;
  /** Flags the number for spam (on) or clears it: marketing templates then fail with 131048. */
  setSpamLimited(on: boolean): void;
  /** Resolves once every queued webhook is acknowledged or dropped. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the Cloud API emulator on loopback.
 * @example const emulator = await startEmulator({ appSecret, accessToken, verifyToken, callbackUrl });
 */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const { clock = systemClock, logger, ...rest } = options;
  const settings = parseSettings(rest);
  let baseUrl = '';
  const random = createRandom(settings.seed ^ 0x9e3779b9);
  const business = {
    wabaId: settings.wabaId,
    phoneNumberId: settings.phoneNumberId,
    displayPhoneNumber: settings.displayPhoneNumber,
  };
  const sender = createWebhookSender({
    appSecret: settings.appSecret,
    callback:
      settings.callbackUrl && settings.verifyToken
        ? { url: settings.callbackUrl, verifyToken: settings.verifyToken }
        : undefined,
    retry: settings.retry,
    concurrency: settings.concurrency,
    duplicateRate: settings.duplicateRate,
    random: createRandom(settings.seed + 2),
    logger,
  });
  const batcher = createBatcher({
    ...settings.batch,
    business,
    random: createRandom(settings.seed + 1),
    sender,
  });
  const journal = new Journal();
  const unixNow = () => Math.floor(clock.now().getTime() / 1000);
  const emit = (update: Parameters<typeof batcher.add>[0]) => {
    if (sender.hasCallback()) batcher.add(update).catch(() => undefined);
  };
  const ctx: EmulatorContext = {
    settings,
    clock,
    random,
    business,
    callingCode: callingCodeOf(settings.displayPhoneNumber),
    population: new Population(settings.customers, createRandom(settings.seed), clock),
    media: new MediaStore({
      clock,
      random,
      urlSecret: randomBytes(32),
      phoneNumberId: settings.phoneNumberId,
      baseUrl: () => baseUrl,
    }),
    templates: new TemplateCatalogue(random),
    rates: new RateLimits(clock, settings.throughput, settings.pairRate),
    lifecycle: new StatusLifecycle({
      delaysMs: settings.statusDelaysMs,
      random,
      unixNow,
      emit,
      onStatus: (id, status) => journal.recordStatus(id, status),
    }),
    journal,
    logger,
    pin: undefined,
    spamLimited: false,
    baseUrl: () => baseUrl,
    unixNow,
  };
  const events = createEvents(ctx);

  async function deliver(
    kindOrPayload: DeliverKind | Json,
    deliverOptions: DeliverOptions = {},
  ): Promise<Delivered> {
    if (typeof kindOrPayload !== 'string') {
      const body = Buffer.from(metaJson(kindOrPayload));
      return { ids: [], outcome: await sender.post(body, countUpdates(kindOrPayload)) };
    }
    if (!sender.hasCallback()) throw new Error('The emulator has no callback URL to deliver to');
    const made = Array.from({ length: deliverOptions.count ?? 1 }, () =>
      events.make(kindOrPayload, deliverOptions),
    );
    const outcomes = await (deliverOptions.separately
      ? Promise.all(made.map((m) => batcher.send([m.update])))
      : Promise.all(made.map((m) => batcher.add(m.update))));
    return { ids: made.map((m) => m.id), outcome: outcomes.includes('dropped') ? 'dropped' : 'acked' };
  }

  const stats = (): EmulatorStats => ({
    webhooks: sender.stats(),
    graph: {
      requests: journal.requests.total,
      accepted: journal.requests.accepted,
      errors: { ...journal.requests.errors },
    },
    sent: journal.sent().length,
    sentTotal: journal.sentTotal,
    readReceipts: journal.readReceipts.length,
    pinChanges: journal.pinChanges,
    uniqueUsersReached24h: ctx.population.uniqueUsersReached24h(),
  });
  const startLoad = (load: LoadOptions) => {
    const target = sender.callbackUrl();
    if (!target || !isLoopbackHost(new URL(target).hostname))
      throw new Error('Load mode only delivers to a callback URL on loopback');
    return runLoad(
      {
        generate: (kind) => events.make(kind, {}).update,
        send: (u) => batcher.send(u),
        senderStats: sender.stats,
      },
      load,
    );
  };

  const control = createControlHandler({ deliver, stats, subscribe: sender.subscribe, startLoad, ctx });
  const server = await startHttpServer(settings.host, settings.port, createGraphHandler(ctx, control));
  baseUrl = server.url;
  const { appSecret, accessToken, verifyToken, ...visible } = settings;

  return {
    url: server.url,
    settings: visible,
    channel: {
      appSecret,
      verifyToken: verifyToken ?? '',
      accessToken,
      phoneNumberId: settings.phoneNumberId,
      wabaId: settings.wabaId,
    },
    customers: ctx.population,
    deliver,
    subscribe: sender.subscribe,
    setCallback: (url, token) => {
      parseSettings({ ...rest, callbackUrl: url, verifyToken: token });
      sender.setCallback(url, token);
    },
    startLoad,
    sent: () => journal.sent(),
    stats,
    checkPin: (pin) => {
      const a = Buffer.from(pin);
      const b = Buffer.from(ctx.pin ?? '');
      return ctx.pin !== undefined && a.length === b.length && timingSafeEqual(a, b);
    },
    setSpamLimited: (on) => {
      ctx.spamLimited = on;
    },
    flush: async () => {
      batcher.flush();
      await sender.flush();
    },
    close: async () => {
      ctx.lifecycle.close();
      batcher.close();
      sender.close();
      await server.close();
    },
  };
}

import http from 'node:http';
import https from 'node:https';
import type { Logger } from '../../../lib/logger.ts';
import { signBody } from './meta-json.ts';
import type { Random } from './random.ts';

export type DeliveryOutcome = 'acked' | 'dropped';

export interface SenderStats {
  /** POST bodies handed to the sender (duplicates included). */
  deliveries: number;
  /** HTTP attempts, first tries and retries. */
  attempts: number;
  acked: number;
  /** Attempts after the first of a delivery. */
  retried: number;
  /** Attempts answered with anything but 200, or not answered. */
  failedAttempts: number;
  /** Deliveries given up after the retry horizon. */
  dropped: number;
  duplicates: number;
  /** Updates (messages, statuses, errors, preferences) in acknowledged deliveries. */
  updatesAcked: number;
  inFlight: number;
  queued: number;
  subscribed: boolean;
  handshakes: number;
}

export interface SenderOptions {
  readonly appSecret: string;
  readonly callback: { readonly url: string; readonly verifyToken: string } | undefined;
  readonly retry: {
    readonly baseMs: number;
    readonly maxDelayMs: number;
    readonly horizonMs: number;
    readonly timeoutMs: number;
  };
  readonly concurrency: number;
  readonly duplicateRate: number;
  readonly random: Random;
  readonly logger?: Logger | undefined;
}

interface Delivery {
  readonly body: Buffer;
  readonly signature: string;
  readonly updates: number;
  readonly duplicate: boolean;
  readonly firstAt: number;
  attempts: number;
  readonly resolve: (outcome: DeliveryOutcome) => void;
}

/**
 * Delivers webhook bodies like Meta: nothing before the `hub.challenge` handshake succeeds; each
 * POST signed over the exact bytes; any answer but 200 (or no answer) retried at once, then with
 * exponential backoff until the horizon; an acknowledged body sometimes delivered a second time.
 */
export function createWebhookSender(options: SenderOptions) {
  const { retry, random, logger } = options;
  let callback = options.callback;
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: options.concurrency }),
    https: new https.Agent({ keepAlive: true, maxSockets: options.concurrency }),
  };
  const stats: SenderStats = {
    deliveries: 0,
    attempts: 0,
    acked: 0,
    retried: 0,
    failedAttempts: 0,
    dropped: 0,
    duplicates: 0,
    updatesAcked: 0,
    inFlight: 0,
    queued: 0,
    subscribed: false,
    handshakes: 0,
  };
  const queue: Delivery[] = [];
  const waiting = new Set<Delivery>();
  const timers = new Set<NodeJS.Timeout>();
  const idle: (() => void)[] = [];
  let pending = 0;
  let handshaking = false;
  let handshakeFailures = 0;
  let closed = false;

  function later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  }

  function request(method: 'GET' | 'POST', url: URL, headers: http.OutgoingHttpHeaders, body?: Buffer) {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const req = (secure ? https : http).request(
        url,
        { method, headers, agent: secure ? agents.https : agents.http },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= 65_536) chunks.push(chunk);
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(retry.timeoutMs, () => req.destroy(new Error('webhook request timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Meta's GET handshake: success only on 200 with exactly the challenge as the body. */
  async function subscribe(): Promise<boolean> {
    if (!callback) return false;
    const challenge = String(random.int(1_000_000_000, 2_147_483_647));
    const url = new URL(callback.url);
    url.searchParams.set('hub.mode', 'subscribe');
    url.searchParams.set('hub.challenge', challenge);
    url.searchParams.set('hub.verify_token', callback.verifyToken);
    stats.handshakes++;
    const answer = await request('GET', url, { 'user-agent': 'facebookplatform/1.0' }).catch(() => undefined);
    stats.subscribed = answer?.status === 200 && answer.text === challenge;
    logger?.debug({ status: answer?.status, subscribed: stats.subscribed }, 'emulator webhook handshake');
    if (stats.subscribed) pump();
    return stats.subscribed;
  }

  function ensureSubscribed(): void {
    if (handshaking || closed || !callback) return;
    handshaking = true;
    void subscribe().then((ok) => {
      if (ok || queue.length === 0) {
        handshaking = false;
        handshakeFailures = 0;
        return;
      }
      later(backoff(++handshakeFailures + 1), () => {
        handshaking = false;
        ensureSubscribed();
      });
    });
  }

  function backoff(failures: number): number {
    return failures <= 1 ? 0 : Math.min(retry.maxDelayMs, retry.baseMs * 2 ** (failures - 2));
  }

  function pump(): void {
    if (closed) return;
    if (!stats.subscribed) {
      if (queue.length > 0) ensureSubscribed();
      return;
    }
    while (stats.inFlight < options.concurrency && queue.length > 0) attempt(queue.shift() as Delivery);
    stats.queued = queue.length;
  }

  function attempt(d: Delivery): void {
    const target = callback;
    if (!target) return void queue.unshift(d);
    d.attempts++;
    stats.attempts++;
    if (d.attempts > 1) stats.retried++;
    stats.inFlight++;
    const headers = {
      'content-type': 'application/json',
      'content-length': d.body.length,
      'x-hub-signature-256': d.signature,
      'user-agent': 'facebookexternalua',
    };
    void request('POST', new URL(target.url), headers, d.body)
      .then(
        (r) => r.status === 200,
        () => false,
      )
      .then((ok) => {
        stats.inFlight--;
        if (ok) acknowledged(d);
        else failed(d);
        pump();
      });
  }

  function acknowledged(d: Delivery): void {
    stats.acked++;
    stats.updatesAcked += d.updates;
    if (!d.duplicate && options.duplicateRate > 0 && random.chance(options.duplicateRate)) {
      stats.duplicates++;
      enqueue(d.body, d.updates, true, () => undefined, random.int(1, 50));
    }
    finish(d, 'acked');
  }

  function failed(d: Delivery): void {
    stats.failedAttempts++;
    const delay = backoff(d.attempts);
    if (closed || performance.now() - d.firstAt + delay > retry.horizonMs) {
      stats.dropped++;
      return finish(d, 'dropped');
    }
    waiting.add(d);
    later(delay, () => {
      waiting.delete(d);
      queue.push(d);
      pump();
    });
  }

  function finish(d: Delivery, outcome: DeliveryOutcome): void {
    pending--;
    d.resolve(outcome);
    if (pending === 0) for (const resolve of idle.splice(0)) resolve();
  }

  function enqueue(
    body: Buffer,
    updates: number,
    duplicate: boolean,
    resolve: Delivery['resolve'],
    delayMs = 0,
  ) {
    pending++;
    stats.deliveries++;
    const delivery: Delivery = {
      body,
      signature: signBody(options.appSecret, body),
      updates,
      duplicate,
      firstAt: performance.now(),
      attempts: 0,
      resolve,
    };
    const start = () => {
      queue.push(delivery);
      pump();
    };
    if (delayMs > 0) later(delayMs, start);
    else start();
  }

  return {
    subscribe,
    /** Points deliveries at a new callback; Meta re-runs the handshake whenever it changes. */
    setCallback(url: string, verifyToken: string): void {
      callback = { url, verifyToken };
      stats.subscribed = false;
      pump();
    },
    hasCallback: () => callback !== undefined,
    callbackUrl: () => callback?.url,
    /** Sends one body (already serialised); resolves when acknowledged, or dropped at the horizon. */
    post(body: Buffer, updates: number): Promise<DeliveryOutcome> {
      if (!callback) return Promise.reject(new Error('The emulator has no callback URL to deliver to'));
      if (closed) return Promise.resolve('dropped');
      return new Promise((resolve) => enqueue(body, updates, false, resolve));
    },
    /** Resolves once every delivery (retries and duplicates included) is acknowledged or dropped. */
    flush(): Promise<void> {
      return pending === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve));
    },
    stats: (): SenderStats => ({ ...stats, queued: queue.length }),
    close(): void {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const d of [...queue.splice(0), ...waiting]) finish(d, 'dropped');
      waiting.clear();
      agents.http.destroy();
      agents.https.destroy();
      for (const resolve of idle.splice(0)) resolve();
    },
  };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;

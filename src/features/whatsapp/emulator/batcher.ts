import { metaJson } from './meta-json.ts';
import { envelope, type BusinessMeta, type Update } from './payloads.ts';
import type { Random } from './random.ts';
import type { DeliveryOutcome, WebhookSender } from './webhook-sender.ts';

/** Meta's payload ceiling (§1.3): a batch that would serialise larger is split. */
export const MAX_PAYLOAD_BYTES = 3 * 1024 * 1024;

export interface BatcherOptions {
  readonly maxUpdates: number;
  readonly windowMs: number;
  readonly business: BusinessMeta;
  readonly random: Random;
  readonly sender: Pick<WebhookSender, 'post'>;
}

/**
 * Collects updates for `windowMs` (or until `maxUpdates`) and sends them as one webhook body, as
 * Meta aggregates notifications into batches of up to 1,000 updates.
 */
export function createBatcher(options: BatcherOptions) {
  let buffer: { update: Update; resolve: (o: DeliveryOutcome) => void; reject: (e: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = buffer;
    buffer = [];
    if (batch.length === 0) return;
    send(batch.map((b) => b.update)).then(
      (outcome) => batch.forEach((b) => b.resolve(outcome)),
      (error: unknown) => batch.forEach((b) => b.reject(error)),
    );
  }

  /** Serialises with Meta's escaping and posts now; halves a batch over 3 MB until it fits. */
  async function send(updates: readonly Update[]): Promise<DeliveryOutcome> {
    const body = Buffer.from(metaJson(envelope(updates, options.business, options.random)));
    if (body.length > MAX_PAYLOAD_BYTES && updates.length > 1) {
      const half = Math.ceil(updates.length / 2);
      const outcomes = await Promise.all([send(updates.slice(0, half)), send(updates.slice(half))]);
      return outcomes.includes('dropped') ? 'dropped' : 'acked';
    }
    return options.sender.post(body, updates.length);
  }

  return {
    /** Queues one update; resolves with the outcome of the delivery that carried it. */
    add(update: Update): Promise<DeliveryOutcome> {
      return new Promise((resolve, reject) => {
        buffer.push({ update, resolve, reject });
        if (buffer.length >= options.maxUpdates) flush();
        else timer ??= setTimeout(flush, options.windowMs);
      });
    },
    send,
    flush,
    close(): void {
      if (timer) clearTimeout(timer);
      for (const b of buffer.splice(0)) b.resolve('dropped');
    },
  };
}

export type Batcher = ReturnType<typeof createBatcher>;

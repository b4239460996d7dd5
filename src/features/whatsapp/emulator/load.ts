import { z } from 'zod';
import { INBOUND_KINDS, type InboundKind } from './inbound.ts';
import type { Update } from './payloads.ts';
import type { DeliveryOutcome, SenderStats } from './webhook-sender.ts';

export const loadOptions = z.object({
  /** Inbound messages per second. */
  rate: z.number().positive().max(50_000),
  seconds: z.number().positive().max(3_600),
  /** Messages per delivery: 1 is Meta's worst case, up to 1,000. */
  batch: z.number().int().min(1).max(1000).default(1),
  kinds: z.array(z.enum(INBOUND_KINDS)).min(1).max(INBOUND_KINDS.length).default(['text']),
});
export type LoadOptions = z.input<typeof loadOptions>;

export interface LoadReport {
  readonly rate: number;
  readonly seconds: number;
  readonly batch: number;
  /** Messages generated and handed to the sender. */
  readonly sent: number;
  readonly deliveries: number;
  /** Deliveries acknowledged with 200 (after retries if needed). */
  readonly acked: number;
  readonly dropped: number;
  /** Retry attempts during the run (all deliveries, statuses included). */
  readonly retried: number;
  readonly duplicates: number;
  /** Time spent generating (the paced part). */
  readonly sendMs: number;
  /** Time from the last message to the last acknowledgement. */
  readonly drainMs: number;
  /** `sent / sendMs`, in messages per second. */
  readonly achievedRate: number;
}

export interface LoadRun {
  readonly done: Promise<LoadReport>;
  /** Stops generating; `done` resolves once what was sent is acknowledged or dropped. */
  stop(): void;
}

export interface LoadDeps {
  readonly generate: (kind: InboundKind) => Update;
  readonly send: (updates: Update[]) => Promise<DeliveryOutcome>;
  readonly senderStats: () => SenderStats;
}

/**
 * Paces `rate` inbound messages a second for `seconds`: message i is due at start + i/rate, and
 * each timer tick sends everything due (several per tick at high rates), so the schedule does not
 * drift with timer jitter.
 */
export function runLoad(deps: LoadDeps, input: LoadOptions): LoadRun {
  const options = loadOptions.parse(input);
  const total = Math.max(1, Math.round(options.rate * options.seconds));
  const interval = 1000 / options.rate;
  const before = deps.senderStats();
  const outcomes: Promise<DeliveryOutcome>[] = [];
  let batch: Update[] = [];
  let emitted = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const start = performance.now();

  const flushBatch = () => {
    outcomes.push(deps.send(batch));
    batch = [];
  };

  let resolveDone: (report: LoadReport) => void = () => undefined;
  const done = new Promise<LoadReport>((resolve) => (resolveDone = resolve));

  const finish = async () => {
    if (batch.length > 0) flushBatch();
    const sendMs = performance.now() - start;
    const results = await Promise.all(outcomes);
    const after = deps.senderStats();
    resolveDone({
      rate: options.rate,
      seconds: options.seconds,
      batch: options.batch,
      sent: emitted,
      deliveries: outcomes.length,
      acked: results.filter((r) => r === 'acked').length,
      dropped: results.filter((r) => r === 'dropped').length,
      retried: after.retried - before.retried,
      duplicates: after.duplicates - before.duplicates,
      sendMs: Math.round(sendMs),
      drainMs: Math.round(performance.now() - start - sendMs),
      achievedRate: Math.round((emitted / Math.max(sendMs, 1)) * 10_000) / 10,
    });
  };

  const tick = () => {
    timer = undefined;
    const due = stopped ? emitted : Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
    while (emitted < due) {
      batch.push(deps.generate(options.kinds[emitted % options.kinds.length] as InboundKind));
      emitted++;
      if (batch.length >= options.batch) flushBatch();
    }
    if (stopped || emitted >= total) return void finish();
    timer = setTimeout(tick, Math.max(0, start + emitted * interval - performance.now()));
  };
  tick();

  return {
    done,
    stop() {
      stopped = true;
      if (timer) {
        clearTimeout(timer);
        tick();
      }
    },
  };
}

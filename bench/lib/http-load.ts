import { Pool } from 'undici';
import { percentile } from './timing.ts';

export interface LoadRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * Closed loop: `concurrency` requests in flight for `seconds` (or until `requests` were sent); returns
 * completed requests per second.
 */
export async function closedLoop(
  origin: string,
  next: (i: number) => LoadRequest,
  options: { concurrency: number; seconds: number; requests?: number },
): Promise<{ perSecond: number; errors: number; done: number; seconds: number }> {
  const pool = new Pool(origin, { connections: options.concurrency, pipelining: 1 });
  const limit = options.requests ?? Number.POSITIVE_INFINITY;
  let i = 0;
  let done = 0;
  let errors = 0;
  const end = performance.now() + options.seconds * 1000;
  const start = performance.now();
  const worker = async () => {
    while (performance.now() < end && i < limit) {
      const req = next(i++);
      const res = await pool.request({
        method: 'POST',
        path: req.path,
        headers: req.headers,
        body: req.body,
      });
      await res.body.dump();
      if (res.statusCode === 200) done++;
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  return { perSecond: done / elapsed, errors, done, seconds: elapsed };
}

/** Open loop: requests started at `rate` per second for `seconds`, each timed from its scheduled start. */
export async function openLoop(
  origin: string,
  next: (i: number) => LoadRequest,
  options: { rate: number; seconds: number },
): Promise<{ p50: number; p99: number; errors: number; achieved: number }> {
  const pool = new Pool(origin, { connections: 256, pipelining: 1 });
  const total = Math.round(options.rate * options.seconds);
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / options.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const req = next(i);
    inflight.push(
      pool
        .request({ method: 'POST', path: req.path, headers: req.headers, body: req.body })
        .then(async (res) => {
          await res.body.dump();
          if (res.statusCode !== 200) errors++;
          latencies.push(performance.now() - due);
        }),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    achieved: total / elapsed,
  };
}

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_BOUNDS, LatencyLog, judge, type MemorySample } from '../bench/soak/stats.ts';

/** The soak's verdict (bench/soak/stats.ts) on made-up runs: flat passes, growth and drift fail. */
describe('soak verdict', () => {
  const seconds = 600;
  const memory = (grow: (t: number) => number): MemorySample[] =>
    Array.from({ length: 61 }, (_, i) => ({
      t: i * 10,
      heapUsedMb: 80 + grow(i * 10),
      rssMb: 300 + grow(i * 10),
    }));
  const latencies = (p99At: (t: number) => number) => {
    const log = new LatencyLog();
    for (let t = 0; t < seconds; t += 0.5) log.add('ingest', t, t % 10 === 0 ? p99At(t) : 20);
    return log.windows(60);
  };

  test('flat memory and stable latency pass', () => {
    assert.deepEqual(
      judge(
        memory(() => 0),
        latencies(() => 300),
        seconds,
        60,
        DEFAULT_BOUNDS,
      ),
      [],
    );
  });

  test('heap and RSS growing after warm-up fail, with the figures', () => {
    const failures = judge(
      memory((t) => t / 2),
      latencies(() => 300),
      seconds,
      60,
      DEFAULT_BOUNDS,
    );
    assert.equal(failures.length, 2);
    assert.match(failures[0]!, /^heap grew from/);
    assert.match(failures[1]!, /^rss grew from/);
  });

  test('a p99 drifting beyond the factor fails; under the floor it does not', () => {
    const drift = judge(
      memory(() => 0),
      latencies((t) => (t < 300 ? 300 : 2000)),
      seconds,
      60,
      DEFAULT_BOUNDS,
    );
    assert.equal(drift.length, 1);
    assert.match(drift[0]!, /^ingest: p99 drifted/);
    const small = judge(
      memory(() => 0),
      latencies((t) => 5 + t / 10),
      seconds,
      60,
      DEFAULT_BOUNDS,
    );
    assert.deepEqual(small, []);
  });

  test('too few samples after warm-up is a failure, not a pass', () => {
    assert.match(judge(memory(() => 0).slice(0, 16), [], seconds, 60, DEFAULT_BOUNDS)[0]!, /too few/);
  });
});

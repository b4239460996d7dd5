import { systemClock, type Clock } from './clock.ts';
import type { Logger } from './logger.ts';

/**
 * FOR TESTS ONLY: `CHATVAULT_TEST_CLOCK_OFFSET_MS` shifts this process's clock (TOTP, sessions,
 * expiries, audit timestamps) by that many milliseconds, so the clock-skew drill
 * (test/chaos-clock.test.ts) can run processes minutes apart without touching the machine's clock.
 * Production never sets it; when set, the server says so loudly. At most ±1 day.
 */
export function clockFromEnvironment(env: NodeJS.ProcessEnv, logger: Logger): Clock {
  const raw = env.CHATVAULT_TEST_CLOCK_OFFSET_MS;
  if (raw === undefined || raw === '') return systemClock;
  const offset = Number(raw);
  if (!Number.isInteger(offset) || Math.abs(offset) > 86_400_000)
    throw new Error('CHATVAULT_TEST_CLOCK_OFFSET_MS: must be an integer number of ms within ±1 day');
  logger.warn(
    { offsetMs: offset },
    'TEST CLOCK: this process runs with a shifted clock (never in production)',
  );
  return { now: () => new Date(Date.now() + offset) };
}

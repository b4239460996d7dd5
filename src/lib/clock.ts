/** Time, injected so that tests and skewed-clock drills can control it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** ISO 8601 UTC with milliseconds: the one timestamp format stored by ChatVault. */
export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}

/**
 * A fixed one-minute window per key, in this process's memory (several processes each allow the
 * limit: set it per process). `take` answers how long to wait when the window is used up.
 */
export function createKeyRateLimiter(now: () => number = Date.now) {
  const windows = new Map<string, { start: number; used: number; refusedLogged: boolean }>();

  return {
    take(
      keyId: string,
      perMinute: number,
    ): { ok: true } | { ok: false; retryAfterSeconds: number; first: boolean } {
      const t = now();
      let w = windows.get(keyId);
      if (!w || t - w.start >= 60_000) {
        if (windows.size > 10_000) windows.clear();
        w = { start: t, used: 0, refusedLogged: false };
        windows.set(keyId, w);
      }
      if (w.used < perMinute) {
        w.used++;
        return { ok: true };
      }
      const first = !w.refusedLogged;
      w.refusedLogged = true;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((w.start + 60_000 - t) / 1000)), first };
    },
  };
}

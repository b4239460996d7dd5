/** At most `max` of the functions given run at once; the others wait in order. */
export function createLimiter(max: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    get active(): number {
      return active;
    },
    async run<T>(fn: () => Promise<T>): Promise<T> {
      while (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
      active++;
      try {
        return await fn();
      } finally {
        active--;
        waiting.shift()?.();
      }
    },
  };
}

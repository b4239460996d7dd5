import type { Logger } from '../../lib/logger.ts';
import type { Db } from '../../db/database.ts';
import * as repo from './live.repository.ts';
import type { LiveSignals } from './live-signals.ts';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** Messages committed this late after their id was made are still noticed (writers race). */
const LOOKBACK_MS = 5000;

/** The smallest message id that could have been made at `ms` (ids start with 10 chars of time). */
export function messageIdFloor(ms: number): string {
  let time = Math.max(0, Math.floor(ms));
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32] + head;
    time = Math.floor(time / 32);
  }
  return `ms_${head}`;
}

export interface LiveSubscriber {
  readonly tenantId: string;
  /** The conversation open on the subscriber's screen, watched for statuses as well as messages. */
  readonly watch?: string;
  /** Conversations with something new, and whether the watched one changed. */
  onChange(conversationIds: ReadonlySet<string>, watchedChanged: boolean): void;
}

/** With LISTEN/NOTIFY working, polling is only a safety net for a lost notification. */
const SIGNALLED_POLL_MS = 5000;

/**
 * Notices new messages and status changes, only while someone is subscribed. On PostgreSQL a
 * NOTIFY from whichever process stored the message (see live-signals.ts) wakes it at once; polling
 * the database remains the fallback (and the only mechanism on SQLite, where one process writes).
 * It never reads content: subscribers learn which conversation changed and fetch it through the
 * authorised API.
 */
export function createLiveFeed(deps: { db: Db; logger: Logger; intervalMs?: number; signals?: LiveSignals }) {
  const subscribers = new Set<LiveSubscriber>();
  const signatures = new WeakMap<LiveSubscriber, string>();
  const seen = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let wakeAgain = false;

  // Message ids carry wall-clock time (`newId` reads Date.now()), so the id floor does too.
  const wallClock = () => Date.now();

  async function tick(): Promise<void> {
    const now = wallClock();
    const rows = await repo.messagesSince(deps.db, messageIdFloor(now - LOOKBACK_MS));
    const changed = new Map<string, Set<string>>();
    for (const r of rows) {
      if (seen.has(r.id)) continue;
      seen.set(r.id, now);
      const set = changed.get(r.tenant_id) ?? new Set<string>();
      set.add(r.conversation_id);
      changed.set(r.tenant_id, set);
    }
    for (const [id, at] of seen) if (at < now - 2 * LOOKBACK_MS) seen.delete(id);
    for (const s of [...subscribers]) {
      let watchedChanged = false;
      if (s.watch) {
        const signature = await repo.conversationSignature(deps.db, s.tenantId, s.watch);
        watchedChanged = signatures.has(s) && signatures.get(s) !== signature;
        signatures.set(s, signature);
      }
      const ids = changed.get(s.tenantId) ?? new Set<string>();
      if (ids.size > 0 || watchedChanged) s.onChange(ids, watchedChanged);
    }
  }

  function schedule(delayMs?: number): void {
    if (timer || subscribers.size === 0) return;
    const poll = deps.signals?.connected() ? SIGNALLED_POLL_MS : (deps.intervalMs ?? 400);
    timer = setTimeout(() => {
      running = tick()
        .catch((error: unknown) => deps.logger.warn({ err: error }, 'live feed: poll failed'))
        .finally(() => {
          timer = undefined;
          running = undefined;
          const again = wakeAgain;
          wakeAgain = false;
          schedule(again ? 0 : undefined);
        });
    }, delayMs ?? poll);
  }

  /** A notification: look now (or right after the look in progress). */
  function wake(): void {
    if (subscribers.size === 0) return;
    if (running) return void (wakeAgain = true);
    if (timer) clearTimeout(timer);
    timer = undefined;
    schedule(0);
  }

  return {
    /** Starts watching for this subscriber; returns the function that stops it. */
    subscribe(subscriber: LiveSubscriber): () => void {
      if (subscribers.size === 0) {
        // Messages stored before the first subscriber are old news.
        void repo
          .messagesSince(deps.db, messageIdFloor(wallClock() - LOOKBACK_MS))
          .then((rows) => rows.forEach((r) => seen.set(r.id, wallClock())))
          .catch(() => undefined);
      }
      subscribers.add(subscriber);
      if (deps.signals && !unlisten) unlisten = deps.signals.listen(wake);
      schedule();
      return () => {
        subscribers.delete(subscriber);
      };
    },

    /** Stops polling (on shutdown); subscribers are left to their connections. */
    async stop(): Promise<void> {
      subscribers.clear();
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
      await unlisten?.();
      unlisten = undefined;
    },
  };
}

export type LiveFeed = ReturnType<typeof createLiveFeed>;

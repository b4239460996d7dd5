// The soak: a mixed load against one `chatvault serve` process started as production starts it (CLI
// set-up, then `serve`; bench/lib/ingest-server.ts), for SOAK_SECONDS (600 by default). Signed webhooks
// from the Cloud API emulator, console reads, reveals with a reason, replies through the outbox to the
// emulator and one campaign, while the server's heap and RSS are read from /metrics every ~10 s.
import { totpCode } from '../../src/features/auth/totp.ts';
import { startEmulator, type Emulator } from '../../src/features/whatsapp/emulator/index.ts';
import { enrollOperatorAt, signInOperator, type HttpClient } from '../../test/support/cluster.ts';
import { prepareCampaignAt } from '../../test/support/cluster-work.ts';
import { startIngestServer, type IngestServer } from '../lib/ingest-server.ts';
import {
  DEFAULT_BOUNDS,
  LatencyLog,
  judge,
  type MemorySample,
  type SoakBounds,
  type WindowStats,
} from './stats.ts';

export interface SoakOptions {
  readonly seconds: number;
  /** Webhook deliveries per second (each one message). */
  readonly ingestPerSecond?: number;
  /** Data directory of the server (kept after the run); a temp one otherwise. */
  readonly dataDir?: string;
  /** Extra CHATVAULT_* settings for the server (e.g. a PostgreSQL URL and schema). */
  readonly env?: Record<string, string>;
  /** Everything the server process writes. */
  readonly output?: (chunk: Buffer) => void;
  readonly bounds?: SoakBounds;
  /** Called before the server stops (the leak scan dumps PostgreSQL here). */
  readonly beforeStop?: () => Promise<void>;
}

export interface SoakResult {
  readonly seconds: number;
  readonly windowSeconds: number;
  readonly bounds: SoakBounds;
  readonly memory: MemorySample[];
  readonly latency: WindowStats[];
  readonly counts: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly expected: Record<string, number>;
  readonly failures: string[];
}

const APP_SECRET = 'soak-app-secret-0123456789abcdef';
const REASON = 'customer asked for a call back today';
/** The agent steps up again this often (the second factor of a reveal must be under 5 minutes old). */
const STEP_UP_EVERY_MS = 1000 * Number(process.env.SOAK_STEP_UP_SECONDS ?? 240);

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const seconds = options.seconds;
  const bounds = options.bounds ?? DEFAULT_BOUNDS;
  // Per minute on a long run; a short run (tests) still gets several windows.
  const windowS = Math.min(60, Math.max(5, Math.floor(seconds / 4)));
  const emulator = await startEmulator({
    appSecret: APP_SECRET,
    accessToken: 'bench-access-token-0123456789',
    verifyToken: 'bench-verify-token',
    seed: 77,
    customers: 300,
    throughput: 1000,
    statusDelaysMs: { sent: 20, delivered: 100, read: 300 },
  });
  let server: IngestServer | undefined;
  try {
    server = await startIngestServer({
      appSecret: APP_SECRET,
      phoneNumberId: emulator.channel.phoneNumberId,
      wabaId: emulator.channel.wabaId,
      env: { CHATVAULT_GRAPH_API_BASE: emulator.url, CHATVAULT_LOG_LEVEL: 'info', ...options.env },
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.output ? { output: options.output } : {}),
    });
    emulator.setCallback(`${server.url}${server.path}`, 'bench-verify-token');
    if (!(await emulator.subscribe())) throw new Error('soak: the emulator could not subscribe');
    const target = {
      url: server.url,
      env: { ...options.env, CHATVAULT_GRAPH_API_BASE: emulator.url },
      dataDir: server.dataDir,
      tenant: 'bench',
    };
    const campaign = await prepareCampaignAt(target, emulator, {
      count: 40,
      ratePerSecond: 2,
      name: 'Soak sale',
    });
    // The owner assigns conversations; the agent reads, reveals (a reason and a fresh second factor)
    // and answers the ones assigned to it, as the default policies allow.
    const owner = await signInOperator(
      server.url,
      await enrollOperatorAt(target, 'owner@soak.test'),
      'bench',
    );
    const agentAccount = await enrollOperatorAt(target, 'agent@soak.test', 'agent');
    const agent = Object.assign(await signInOperator(server.url, agentAccount, 'bench'), {
      seed: agentAccount.seed,
      steppedUpAt: Date.now(),
    });
    const log = new LatencyLog();
    const memory: MemorySample[] = [];
    const started = performance.now();
    const now = () => (performance.now() - started) / 1000;
    const end = started + seconds * 1000;

    const loops = [
      every(1000 / (options.ingestPerSecond ?? 20), end, () => ingest(emulator, log, now), log),
      every(1000, end, () => consoleRead(agent, log, now), log),
      every(15_000, end, () => reveal(agent, log, now), log),
      every(3000, end, () => reply(agent, log, now), log),
      every(2000, end, () => assign(owner, agentAccount.id, log, now), log),
      // Every ~10 s (more often on a short run, so the judgement has enough samples).
      every(Math.min(10_000, (seconds * 1000) / 12), end, async () => {
        if (!alive(server!.pid)) return log.count(log.errors, 'the server process exited');
        try {
          memory.push(await sampleMemory(server!, now()));
        } catch {
          log.count(log.errors, 'metrics: the server did not answer');
        }
      }),
      (async () => {
        await sleep(Math.min(20_000, seconds * 200));
        await campaign.start();
        log.count(log.expected, 'campaign started');
      })(),
    ];
    await Promise.all(loops);
    if (alive(server.pid)) memory.push(await sampleMemory(server, now()));
    else log.count(log.errors, 'the server process exited');
    await within(120_000, emulator.flush()).catch(() =>
      log.count(log.errors, 'webhooks still queued after 120 s'),
    );
    const counts: Record<string, number> = {};
    for (const s of log.samples) counts[s.op] = (counts[s.op] ?? 0) + 1;
    counts['campaign messages sent'] = emulator.sent().filter((s) => s.template === 'summer_sale').length;
    counts['free-form messages sent (replies, opt-out confirmations)'] = emulator
      .sent()
      .filter((s) => s.template === undefined).length;
    const latency = log.windows(windowS);
    const failures = judge(memory, latency, seconds, windowS, bounds);
    if (log.errors.size > 0)
      failures.push(`unexpected errors: ${JSON.stringify(Object.fromEntries(log.errors))}`);
    await options.beforeStop?.();
    return {
      seconds,
      windowSeconds: windowS,
      bounds,
      memory,
      latency,
      counts,
      errors: Object.fromEntries(log.errors),
      expected: Object.fromEntries(log.expected),
      failures,
    };
  } finally {
    await server?.close();
    await emulator.close();
  }
}

/**
 * Runs `work` every `intervalMs` until `end` (performance.now()); a slow run delays the next. A run
 * that throws (the server went away) is counted as an unexpected error and the loop goes on.
 */
async function every(
  intervalMs: number,
  end: number,
  work: () => Promise<unknown>,
  log?: LatencyLog,
): Promise<void> {
  let next = performance.now();
  while (performance.now() < end) {
    await work().catch((error: unknown) =>
      log?.count(log.errors, `${error instanceof Error ? error.message.slice(0, 80) : 'failed'}`),
    );
    next += intervalMs;
    const wait = next - performance.now();
    if (wait > 0) await sleep(Math.min(wait, end - performance.now()));
    else next = performance.now();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function timed<T>(log: LatencyLog, op: string, now: () => number, work: () => Promise<T>) {
  const t = now();
  const at = performance.now();
  try {
    const result = await work();
    log.add(op, t, performance.now() - at);
    return result;
  } catch (error) {
    if (error instanceof RacedRotation) log.count(log.expected, `${op} → 401 (raced a session rotation)`);
    else log.count(log.errors, `${op}: ${error instanceof Error ? error.message.slice(0, 120) : 'failed'}`);
    return undefined;
  }
}

let kind = 0;
async function ingest(emulator: Emulator, log: LatencyLog, now: () => number): Promise<void> {
  // Mostly text; every tenth an image (media download through the outbox, blob store).
  const k = kind++ % 10 === 9 ? 'image' : 'text';
  // A server that stopped answering must not hang the soak (Meta would retry for days).
  const delivered = await timed(log, 'ingest', now, () => within(30_000, emulator.deliver(k)));
  if (delivered && delivered.outcome !== 'acked') log.count(log.errors, `ingest: ${delivered.outcome}`);
}

/**
 * A step-up rotates the session (a fresh id and cookie); a request of the same client still in flight
 * with the old cookie gets 401 by design. Such a 401 is expected, any other is an error.
 */
const rotation = { startedAt: -Infinity, endedAt: -Infinity };
const racedRotation = (status: number, sentAt: number) =>
  status === 401 && sentAt >= rotation.startedAt - 5_000 && sentAt <= rotation.endedAt;
class RacedRotation extends Error {}

async function expectOk(client: HttpClient, method: string, url: string, body?: unknown) {
  const sentAt = performance.now();
  const r = await client.request(method, url, body);
  if (racedRotation(r.status, sentAt)) throw new RacedRotation();
  if (r.status >= 300)
    throw new Error(`${method} ${url.replace(/[a-z]+_[0-9a-z]{26}/g, ':id')} → ${r.status}`);
  return r.json;
}

/** The owner takes new conversations (assignment is what lets an operator read and answer them). */
async function assign(owner: HttpClient, operatorId: string, log: LatencyLog, now: () => number) {
  const r = (await owner.request('GET', '/api/v1/conversations?view=all')).json as ConversationList;
  const open = (r.conversations ?? []).find((c) => !c.canRead);
  if (!open) return;
  await timed(log, 'assign', now, () =>
    expectOk(owner, 'POST', '/api/v1/assignments', { contactId: open.contact.id, operatorId }),
  );
}

interface ConversationList {
  conversations?: { id: string; contact: { id: string }; canRead: boolean }[];
}

/** The caller's inbox (conversations assigned to it), those it may read. */
async function conversations(client: HttpClient) {
  const r = (await expectOk(client, 'GET', '/api/v1/conversations')) as ConversationList;
  return (r.conversations ?? []).filter((c) => c.canRead);
}

let turn = 0;
async function consoleRead(owner: HttpClient, log: LatencyLog, now: () => number): Promise<void> {
  const list = await timed(log, 'console.inbox', now, () => conversations(owner));
  if (!list || list.length === 0) return;
  const c = list[turn++ % list.length]!;
  await timed(log, 'console.messages', now, () =>
    expectOk(owner, 'GET', `/api/v1/conversations/${c.id}/messages`),
  );
}

type Agent = HttpClient & { seed: Buffer; steppedUpAt: number };

async function reveal(owner: Agent, log: LatencyLog, now: () => number): Promise<void> {
  // A reveal needs a second factor at most 5 minutes old: step up again (a new TOTP step) after 4.
  if (Date.now() - owner.steppedUpAt > STEP_UP_EVERY_MS) {
    const code = totpCode(owner.seed, new Date());
    rotation.startedAt = performance.now();
    rotation.endedAt = Infinity;
    await timed(log, 'step-up', now, () => expectOk(owner, 'POST', '/api/v1/auth/step-up/totp', { code }));
    rotation.endedAt = performance.now();
    owner.steppedUpAt = Date.now();
  }
  const list = await conversations(owner).catch(() => []);
  const c = list[turn++ % Math.max(1, list.length)];
  const contactId = c?.contact.id;
  if (!contactId) return;
  await timed(log, 'reveal', now, () =>
    expectOk(owner, 'POST', `/api/v1/contacts/${contactId}/reveal`, { field: 'phone', reason: REASON }),
  );
}

async function reply(owner: HttpClient, log: LatencyLog, now: () => number): Promise<void> {
  const list = await conversations(owner).catch(() => []);
  if (list.length === 0) return;
  const c = list[turn++ % list.length]!;
  const sentAt = performance.now();
  const r = await timed(log, 'reply', now, () =>
    owner.request('POST', `/api/v1/conversations/${c.id}/messages`, {
      type: 'text',
      text: { body: 'Thanks, we are on it' },
    }),
  );
  if (!r) return;
  // 422: the customer wrote from a username only (no number to reply to) or the window closed.
  if (r.status === 202) return;
  if (r.status === 422 || r.status === 409) log.count(log.expected, `reply ${r.status}`);
  else if (racedRotation(r.status, sentAt)) log.count(log.expected, 'reply → 401 (raced a session rotation)');
  else log.count(log.errors, `reply → ${r.status}`);
}

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function sampleMemory(server: IngestServer, t: number): Promise<MemorySample> {
  const res = await fetch(`${server.url}/metrics`);
  const text = await res.text();
  const metric = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
    return m ? Number(m[1]) / 1024 / 1024 : Number.NaN;
  };
  return {
    t,
    heapUsedMb: metric('chatvault_nodejs_heap_size_used_bytes'),
    rssMb: metric('chatvault_process_resident_memory_bytes'),
  };
}

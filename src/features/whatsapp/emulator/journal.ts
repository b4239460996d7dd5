import { LruMap } from '../../../lib/lru-map.ts';
import type { Customer } from './population.ts';
import type { SendMessage } from './send-schema.ts';
import type { PricingCategory, StatusName } from './statuses.ts';

/** An outbound message the emulator accepted, with the statuses it has reported so far. */
export interface SentMessage {
  readonly id: string;
  readonly to: string;
  /** Index of the customer in `emulator.customers`, undefined for an unknown recipient. */
  readonly customerIndex: number | undefined;
  readonly type: SendMessage['type'];
  readonly category: PricingCategory;
  readonly template: string | undefined;
  /** Graph API version from the request URL. */
  readonly version: string | undefined;
  readonly at: Date;
  readonly request: SendMessage;
  readonly statuses: StatusName[];
}

const KEEP = 100_000;

/** What happened on the Graph side: accepted sends, inbound ids (for mark-as-read), error counts. */
export class Journal {
  private readonly sentList: SentMessage[] = [];
  /** Accepted sends ever, including those no longer kept: the cursor of {@link sentFrom}. */
  private sentCount = 0;
  private readonly sentById = new Map<string, SentMessage>();
  private readonly inbound = new LruMap<string, number>(KEEP);
  private readonly lastOutbound = new Map<number, string>();
  readonly requests = { total: 0, accepted: 0, errors: {} as Record<string, number> };
  readonly readReceipts: string[] = [];
  pinChanges = 0;

  recordSent(message: SentMessage): void {
    this.sentList.push(message);
    this.sentCount++;
    this.sentById.set(message.id, message);
    if (message.customerIndex !== undefined) this.lastOutbound.set(message.customerIndex, message.id);
    if (this.sentList.length > KEEP) {
      const old = this.sentList.shift();
      if (old) this.sentById.delete(old.id);
    }
  }

  recordStatus(id: string, status: StatusName): void {
    this.sentById.get(id)?.statuses.push(status);
  }

  recordInbound(id: string, customer: Customer): void {
    this.inbound.set(id, customer.index);
  }

  isInbound(id: string): boolean {
    return this.inbound.has(id);
  }

  lastOutboundTo(customer: Customer): string | undefined {
    return this.lastOutbound.get(customer.index);
  }

  recordError(code: number): void {
    this.requests.errors[code] = (this.requests.errors[code] ?? 0) + 1;
  }

  sent(): readonly SentMessage[] {
    return [...this.sentList];
  }

  /** Sends accepted ever (the cursor after the newest). */
  get sentTotal(): number {
    return this.sentCount;
  }

  /**
   * Up to `limit` sends from the `from`-th ever accepted (0-based), and the cursor after them. Sends
   * already dropped from the journal (it keeps the newest 100,000) are skipped: `next - from` may
   * exceed the count returned.
   */
  sentFrom(from: number, limit: number): { data: SentMessage[]; next: number } {
    const firstKept = this.sentCount - this.sentList.length;
    const start = Math.max(0, from - firstKept);
    const data = this.sentList.slice(start, start + limit);
    return { data, next: firstKept + start + data.length };
  }
}

import type { Clock } from '../../../lib/clock.ts';
import type { Random } from './random.ts';

/** What a customer's phone does with a business message: the status progression it produces. */
export type CustomerBehaviour = 'reads' | 'delivers' | 'reads-at-once' | 'offline';

/** One simulated WhatsApp user. Immutable; consent and window state live in the population. */
export interface Customer {
  readonly index: number;
  /** E.164 with `+`; the emulator always knows it, webhooks only show it as `waId`. */
  readonly phone: string;
  /** The phone digits shown as `wa_id`/`from`; undefined for a username adopter hiding the number. */
  readonly waId: string | undefined;
  /** Business-scoped user id (BSUID), `CC.<digits>`. */
  readonly userId: string;
  readonly parentUserId: string | undefined;
  readonly username: string | undefined;
  readonly profileName: string;
  /** ISO 3166 alpha-2 of the number's country. */
  readonly countryCode: string;
  /** False: the number is not on WhatsApp, so sends fail with 131026. */
  readonly onWhatsApp: boolean;
  readonly behaviour: CustomerBehaviour;
  /** Marketing templates to this user fail with a `failed` status 131049 (per-user marketing limit). */
  readonly marketingLimited: boolean;
}

/** Country plan: ISO code, calling code, national-number pattern (`#` is a random digit). */
const PLANS = [
  ['US', '1', '650555####'],
  ['GB', '44', '7700900###'],
  ['BR', '55', '1198#######'],
  ['IN', '91', '98########'],
  ['DE', '49', '151########'],
  ['CN', '86', '139########'],
  ['JP', '81', '90########'],
  ['EG', '20', '10########'],
  ['RU', '7', '916#######'],
  ['IL', '972', '52#######'],
  ['KR', '82', '10########'],
  ['GR', '30', '69########'],
] as const;

/** Profile names in many scripts, plus names full of characters that Meta escapes (`/ < > % @`). */
const NAMES = [
  'Sheena Nelson',
  'Zoë Ångström',
  'José Álvarez',
  '张伟',
  '王芳 Wang',
  'فاطمة الزهراء',
  'Дмитрий Иванов',
  'प्रिया शर्मा',
  '佐藤 花子',
  'Νίκος Παπαδόπουλος',
  'דוד כהן',
  '김민준',
  'สมชาย ใจดี',
  'Ana 🌸',
  'Łukasz Żółć',
  'Sam <Support> 50% @home/office',
  'Ngozi Okafor',
  'Mateo García',
] as const;

const WINDOW_MS = 24 * 3_600_000;
const ENTRY_POINT_MS = 72 * 3_600_000;

interface CustomerState {
  lastInboundAt: number | undefined;
  entryPointUntil: number | undefined;
  optedOutOfMarketing: boolean;
  /** Last business-initiated delivery outside the window: the portfolio messaging limit count. */
  reachedOutsideWindowAt: number | undefined;
}

/**
 * The simulated customers and their mutable state (24-hour window, free entry point window,
 * marketing opt-out). Deterministic for a seed.
 */
export class Population {
  readonly list: readonly Customer[];
  private readonly state: CustomerState[];
  private readonly byPhone = new Map<string, Customer>();
  private readonly byUserId = new Map<string, Customer>();

  constructor(
    count: number,
    random: Random,
    private readonly clock: Clock,
  ) {
    const seen = new Set<string>();
    const list: Customer[] = [];
    while (list.length < count) {
      const index = list.length;
      const [iso, calling, pattern] = random.pick(PLANS);
      const digits = calling + pattern.replace(/#/g, () => String(random.int(0, 9)));
      if (seen.has(digits)) continue;
      seen.add(digits);
      const hidesNumber = index % 7 === 6;
      const name = index === 0 ? NAMES[0] : random.pick(NAMES);
      list.push({
        index,
        phone: `+${digits}`,
        waId: hidesNumber ? undefined : digits,
        userId: `${iso}.${random.int(1, 9)}${random.digits(19)}`,
        parentUserId: index % 14 === 13 ? `${iso}.${random.int(1, 9)}${random.digits(19)}` : undefined,
        username: hidesNumber || index % 5 === 2 ? `@${asciiHandle(name)}${index}` : undefined,
        profileName: name,
        countryCode: iso,
        onWhatsApp: index % 10 !== 9,
        behaviour:
          index % 13 === 12
            ? 'offline'
            : (['reads', 'delivers', 'reads-at-once', 'reads'] as const)[index % 4]!,
        marketingLimited: index % 17 === 16,
      });
    }
    this.list = list;
    this.state = list.map((c) => ({
      lastInboundAt: undefined,
      entryPointUntil: undefined,
      optedOutOfMarketing: c.index % 12 === 11,
      reachedOutsideWindowAt: undefined,
    }));
    for (const c of list) {
      this.byPhone.set(c.phone.slice(1), c);
      this.byUserId.set(c.userId, c);
    }
  }

  get(index: number): Customer {
    const customer = this.list[index];
    if (!customer) throw new RangeError(`no customer ${index}`);
    return customer;
  }

  /** The first customer matching a predicate, e.g. `find((c) => c.waId === undefined)`. */
  find(predicate: (c: Customer) => boolean): Customer | undefined {
    return this.list.find(predicate);
  }

  /**
   * Resolves a send's `to`: a BSUID, or a phone number in any of the accepted formats. Without a
   * leading `+`, the business number's calling code is prepended first, as Meta documents.
   */
  resolve(to: string, businessCallingCode: string): Resolved {
    if (BSUID.test(to)) return { customer: this.byUserId.get(to), byUserId: true, digits: '' };
    const digits = to.replace(/[\s()+-]/g, '');
    const full = to.trimStart().startsWith('+') ? digits : businessCallingCode + digits;
    return { customer: this.byPhone.get(full), byUserId: false, digits: full };
  }

  /** A customer message opens (or resets) the 24-hour window; a Click-to-WhatsApp ad opens 72 hours. */
  recordInbound(customer: Customer, viaAd = false): void {
    const now = this.clock.now().getTime();
    const s = this.stateOf(customer);
    s.lastInboundAt = now;
    if (viaAd) s.entryPointUntil = now + ENTRY_POINT_MS;
  }

  windowOpen(customer: Customer): boolean {
    const last = this.stateOf(customer).lastInboundAt;
    return last !== undefined && this.clock.now().getTime() - last < WINDOW_MS;
  }

  entryPointOpen(customer: Customer): boolean {
    const until = this.stateOf(customer).entryPointUntil;
    return until !== undefined && this.clock.now().getTime() < until;
  }

  optedOut(customer: Customer): boolean {
    return this.stateOf(customer).optedOutOfMarketing;
  }

  setOptOut(customer: Customer, optedOut: boolean): void {
    this.stateOf(customer).optedOutOfMarketing = optedOut;
  }

  /** Counts a business-initiated send outside the window toward the portfolio messaging limit. */
  recordBusinessInitiated(customer: Customer): void {
    this.stateOf(customer).reachedOutsideWindowAt = this.clock.now().getTime();
  }

  /** Unique users reached outside a window in the moving 24 hours (the messaging-limit count). */
  uniqueUsersReached24h(): number {
    const since = this.clock.now().getTime() - WINDOW_MS;
    return this.state.filter((s) => (s.reachedOutsideWindowAt ?? -Infinity) > since).length;
  }

  private stateOf(customer: Customer): CustomerState {
    const s = this.state[customer.index];
    if (!s) throw new RangeError(`no customer ${customer.index}`);
    return s;
  }
}

/** A resolved `to`: the customer (if any), whether it named a BSUID, and the normalised number. */
export interface Resolved {
  readonly customer: Customer | undefined;
  readonly byUserId: boolean;
  /** Digits of the number the send names (calling code included); '' for a BSUID. */
  readonly digits: string;
}

export const BSUID = /^[A-Z]{2}\.[A-Za-z0-9]{1,128}$/;

function asciiHandle(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
  return ascii.length > 0 ? ascii.slice(0, 20) : 'user';
}

/** The calling code of a display number, by longest match over the known plans (default `1`). */
export function callingCodeOf(displayPhoneNumber: string): string {
  const codes = PLANS.map((p) => p[1] as string).sort((a, b) => b.length - a.length);
  return codes.find((c) => displayPhoneNumber.startsWith(c)) ?? displayPhoneNumber.slice(0, 1);
}

import { z } from 'zod';

const minutes = (def: number) => z.number().int().min(1).max(1440).default(def);
const count = (def: number) => z.number().int().min(1).max(1_000_000).default(def);
const hhmm = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'HH:MM');

/** Per-tenant thresholds (defaults after security-baselines §8); nothing here is secret. */
export const thresholdSettings = z
  .object({
    bulk: z
      .object({
        windowMinutes: minutes(10),
        threshold: count(100),
        baselineMultiplier: z.number().min(1).max(100).default(3),
      })
      .strict()
      .default({}),
    /** Personal-data reads and exports by everyone in the tenant together (many accounts, one leak). */
    tenantBulk: z
      .object({ windowMinutes: minutes(60), threshold: count(5000) })
      .strict()
      .default({}),
    failedLogins: z
      .object({ windowMinutes: minutes(10), threshold: count(10) })
      .strict()
      .default({}),
    spraying: z
      .object({ windowMinutes: minutes(15), accounts: count(5) })
      .strict()
      .default({}),
    mfaFailures: z
      .object({ windowMinutes: minutes(10), threshold: count(5) })
      .strict()
      .default({}),
    webhookSignatures: z
      .object({ windowMinutes: minutes(5), threshold: count(5) })
      .strict()
      .default({}),
    /** Business hours in the tenant's time zone; the default (every day, all day) never alerts. */
    businessHours: z
      .object({
        timezone: z.string().min(1).max(64).default('UTC'),
        days: z.array(z.number().int().min(0).max(6)).max(7).default([0, 1, 2, 3, 4, 5, 6]),
        start: hhmm.default('00:00'),
        end: hhmm.default('24:00'),
      })
      .strict()
      .default({})
      .refine((b) => isTimeZone(b.timezone), 'unknown time zone'),
  })
  .strict();
export type Thresholds = z.infer<typeof thresholdSettings>;

const email = z.string().email().max(254);

/** Alert routes and notice settings: sealed under the tenant `restricted` key (addresses, secrets). */
export const routeSettings = z
  .object({
    smtp: z
      .object({
        host: z.string().min(1).max(253),
        port: z.number().int().min(1).max(65535),
        from: email,
      })
      .strict()
      .nullable()
      .default(null),
    alertEmails: z.array(email).max(20).default([]),
    /** HTTPS, or plain HTTP to this machine only (a local relay or a test receiver). */
    webhookUrl: z
      .string()
      .url()
      .max(2000)
      .refine(
        (u) => u.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(u),
        'the alert webhook must use https (plain http only to this machine)',
      )
      .nullable()
      .default(null),
    webhookSecret: z.string().min(16).max(200).nullable().default(null),
    /** Who receives the tenant (business) breach notice. */
    tenantContacts: z.array(email).max(20).default([]),
    /** The DPO or contact point named in the regulator report and customer notices. */
    dpoContact: z.string().max(500).default(''),
    defaultLanguage: z.string().min(2).max(15).default('en_US'),
    /** Approved UTILITY templates for customer breach notices, by language code. */
    noticeTemplates: z
      .record(
        z.string().min(2).max(15),
        z.object({ name: z.string().min(1).max(512), language: z.string().min(2).max(15) }).strict(),
      )
      .default({}),
    /** Extra reporting clocks, e.g. CAC: 4 h once a leak reaches 1M individuals. */
    extraDeadlines: z
      .array(
        z
          .object({
            name: z.string().min(1).max(200),
            minSubjects: z.number().int().min(0),
            hours: z.number().min(0.1).max(8760),
          })
          .strict(),
      )
      .max(10)
      .default([
        { name: 'CAC relatively major incident (≥ 1M individuals)', minSubjects: 1_000_000, hours: 4 },
      ]),
  })
  .strict();
export type Routes = z.infer<typeof routeSettings>;

export const DEFAULT_THRESHOLDS: Thresholds = thresholdSettings.parse({});
export const DEFAULT_ROUTES: Routes = routeSettings.parse({});

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const formatters = new Map<string, Intl.DateTimeFormat>();

/** True when `at` falls inside the tenant's business hours (in its own time zone). */
export function withinBusinessHours(hours: Thresholds['businessHours'], at: Date): boolean {
  let f = formatters.get(hours.timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: hours.timezone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(hours.timezone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  const day = weekdays.indexOf(parts.weekday ?? '');
  const minute = Number(parts.hour) * 60 + Number(parts.minute);
  const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  return hours.days.includes(day) && minute >= toMin(hours.start) && minute < toMin(hours.end);
}

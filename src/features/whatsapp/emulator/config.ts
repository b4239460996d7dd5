import { z } from 'zod';
import type { Clock } from '../../../lib/clock.ts';
import { ConfigError } from '../../../lib/errors.ts';
import type { Logger } from '../../../lib/logger.ts';

const graphId = z.string().regex(/^\d{5,30}$/, 'must be a numeric Graph API id');
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** True for `localhost`, `127.0.0.0/8` and `::1`: where the emulator listens and load mode aims. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Everything but the clock and the logger: what a `--config FILE.json` may hold. */
export const emulatorSettings = z
  .object({
    appSecret: z.string().min(8).max(256),
    accessToken: z.string().min(8).max(4096),
    verifyToken: z.string().min(1).max(256).optional(),
    callbackUrl: z.string().url().max(2048).optional(),
    allowRemoteCallback: z.boolean().default(false),
    port: z.number().int().min(0).max(65535).default(0),
    host: z.string().max(255).refine(isLoopbackHost, 'must be a loopback address').default('127.0.0.1'),
    phoneNumberId: graphId.default('106540352242922'),
    displayPhoneNumber: z
      .string()
      .regex(/^\d{6,15}$/)
      .default('15550783881'),
    wabaId: graphId.default('102290129340398'),
    verifiedName: z.string().min(1).max(120).default('ChatVault Emulator Shop'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    customers: z.number().int().min(1).max(200_000).default(50),
    duplicateRate: z.number().min(0).max(1).default(0),
    throughput: z.number().int().min(1).max(10_000).default(80),
    pairRate: z
      .object({
        intervalMs: z.number().int().min(1).max(3_600_000).default(6_000),
        burst: z.number().int().min(1).max(10_000).default(45),
      })
      .default({}),
    messagingLimitTier: z
      .enum(['TIER_250', 'TIER_2K', 'TIER_10K', 'TIER_100K', 'TIER_UNLIMITED'])
      .default('TIER_250'),
    qualityRating: z.enum(['GREEN', 'YELLOW', 'RED', 'UNKNOWN']).default('GREEN'),
    failureMode: z.enum(['sync', 'status']).default('sync'),
    statusDelaysMs: z
      .object({
        sent: z.number().int().min(0).max(600_000).default(10),
        delivered: z.number().int().min(0).max(600_000).default(60),
        read: z.number().int().min(0).max(600_000).default(150),
      })
      .default({}),
    batch: z
      .object({
        maxUpdates: z.number().int().min(1).max(1000).default(1000),
        windowMs: z.number().int().min(0).max(60_000).default(5),
      })
      .default({}),
    retry: z
      .object({
        baseMs: z.number().int().min(1).max(3_600_000).default(1_000),
        horizonMs: z
          .number()
          .int()
          .min(1)
          .max(7 * 24 * 3_600_000)
          .default(7 * 24 * 3_600_000),
        /** Ceiling of one backoff step, so a long outage is not followed by hours of silence. */
        maxDelayMs: z
          .number()
          .int()
          .min(1)
          .max(24 * 3_600_000)
          .default(15 * 60_000),
        timeoutMs: z.number().int().min(10).max(600_000).default(10_000),
      })
      .default({}),
    concurrency: z.number().int().min(1).max(4096).default(64),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.callbackUrl === undefined) return;
    const url = new URL(s.callbackUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      ctx.addIssue({ code: 'custom', path: ['callbackUrl'], message: 'must be http or https' });
    if (!s.allowRemoteCallback && !isLoopbackHost(url.hostname))
      ctx.addIssue({ code: 'custom', path: ['callbackUrl'], message: 'must be on loopback' });
    if (s.verifyToken === undefined)
      ctx.addIssue({ code: 'custom', path: ['verifyToken'], message: 'is required with a callbackUrl' });
  });

export type EmulatorSettingsInput = z.input<typeof emulatorSettings>;
export type EmulatorSettings = Readonly<z.output<typeof emulatorSettings>>;

/** Options of `startEmulator`: the settings plus an injectable clock and an optional logger. */
export type EmulatorOptions = EmulatorSettingsInput & {
  /** Drives timestamps, the 24-hour window, media expiry and the rate limits. Default: system time. */
  clock?: Clock;
  /** Request lines (method, path without query, status, error code); never bodies or tokens. */
  logger?: Logger;
};

/** Validates settings, listing every problem in one message and never echoing a value. */
export function parseSettings(input: unknown): EmulatorSettings {
  const result = emulatorSettings.safeParse(input);
  if (result.success) return Object.freeze(result.data);
  throw new ConfigError(
    result.error.issues.map((i) => `emulator ${i.path.join('.') || 'settings'}: ${i.message}`),
  );
}

import type { Clock } from '../../../lib/clock.ts';
import type { Logger } from '../../../lib/logger.ts';
import type { EmulatorSettings } from './config.ts';
import type { Journal } from './journal.ts';
import type { MediaStore } from './media.ts';
import type { BusinessMeta } from './payloads.ts';
import type { Population } from './population.ts';
import type { Random } from './random.ts';
import type { RateLimits } from './rate-limits.ts';
import type { StatusLifecycle } from './statuses.ts';
import type { TemplateCatalogue } from './templates.ts';

/** The emulator's shared state, handed to the route handlers. */
export interface EmulatorContext {
  readonly settings: EmulatorSettings;
  readonly clock: Clock;
  readonly random: Random;
  readonly business: BusinessMeta;
  /** Calling code of the business number, prepended to a `to` without `+`. */
  readonly callingCode: string;
  readonly population: Population;
  readonly media: MediaStore;
  readonly templates: TemplateCatalogue;
  readonly rates: RateLimits;
  readonly lifecycle: StatusLifecycle;
  readonly journal: Journal;
  readonly logger: Logger | undefined;
  /** The two-step verification PIN, kept only in memory. */
  pin: string | undefined;
  /** Meta restricted the number for spam: marketing templates are refused with 131048. */
  spamLimited: boolean;
  readonly baseUrl: () => string;
  readonly unixNow: () => number;
}

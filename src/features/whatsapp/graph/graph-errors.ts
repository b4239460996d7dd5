import { AppError } from '../../../lib/errors.ts';

/** What to do about a Graph API error, decided by its code (never its title or HTTP status). */
export type GraphErrorHandling =
  | 'retry' // temporary: back off and try again
  | 'throughput' // 130429 / 4 / 80007: back off the number
  | 'pair_rate' // 131056: wait 4^X s for that recipient only
  | 'needs_template' // 131047: window closed
  | 'opted_out' // 131050: record an opt-out, never retry
  | 'undeliverable' // 131026: mark undeliverable, never retry
  | 'template_problem' // 132000 / 132001 / 1320xx: surface to the sender
  | 'token_problem' // 0 / 190: alert, stop using the token
  | 'quality' // 131048 / 131049: pause campaigns
  | 'account_problem' // 368 / 131031 / 130497 / 131042: incident, stop sending
  | 'invalid'; // anything else the request got wrong: never retry

const TABLE: Record<number, GraphErrorHandling> = {
  0: 'token_problem',
  190: 'token_problem',
  4: 'throughput',
  80007: 'throughput',
  130429: 'throughput',
  131056: 'pair_rate',
  131047: 'needs_template',
  131050: 'opted_out',
  131026: 'undeliverable',
  131048: 'quality',
  131049: 'quality',
  132000: 'template_problem',
  132001: 'template_problem',
  132005: 'template_problem',
  132007: 'template_problem',
  132012: 'template_problem',
  132015: 'template_problem',
  132016: 'template_problem',
  368: 'account_problem',
  131031: 'account_problem',
  130497: 'account_problem',
  131042: 'account_problem',
  1: 'retry',
  2: 'retry',
  131000: 'retry',
  131016: 'retry',
  133004: 'retry',
  131057: 'retry',
};

export function handlingFor(code: number): GraphErrorHandling {
  return TABLE[code] ?? 'invalid';
}

/** A Graph API error answer, carrying Meta's code and details (never the token or the request body). */
export class GraphApiError extends AppError {
  readonly metaCode: number;
  /** Meta's `error_data.details` (never shown to end users verbatim; useful for operators). */
  readonly metaDetails: string;
  readonly httpStatus: number;
  readonly handling: GraphErrorHandling;

  constructor(code: number, title: string, details: string, httpStatus: number) {
    super(502, 'upstream_failed', `Graph API error ${code}: ${title}`, { metaCode: code });
    this.metaCode = code;
    this.metaDetails = details;
    this.httpStatus = httpStatus;
    this.handling = handlingFor(code);
  }
}

/** Backoff for the pair rate limit: 4^X seconds after the X-th consecutive 131056 (Meta's guidance). */
export function pairRateBackoffSeconds(consecutive: number): number {
  return 4 ** Math.max(1, Math.min(consecutive, 6));
}

import type { MessageKey } from '../i18n/en.ts';
import { ApiError } from '../lib/api.ts';

const BY_CODE: Record<string, MessageKey> = {
  validation_failed: 'error.validation',
  unauthenticated: 'error.unauthenticated',
  step_up_required: 'error.stepUp',
  forbidden: 'error.forbidden',
  training_lapsed: 'error.training',
  not_found: 'error.notFound',
  conflict: 'error.conflict',
  rate_limited: 'error.rateLimited',
  sealed: 'error.sealed',
  window_closed: 'error.windowClosed',
  upstream_failed: 'error.upstream',
};

/** A translated message for an API failure (server messages are English-only and stay out of the UI). */
export function errorKey(error: unknown): MessageKey {
  if (error instanceof ApiError) return BY_CODE[error.code] ?? 'error.generic';
  if (error instanceof DOMException && error.name === 'NotAllowedError') return 'error.passkeyCancelled';
  return 'error.generic';
}

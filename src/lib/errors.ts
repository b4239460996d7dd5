/**
 * One error hierarchy for the whole product. Every error that reaches a user carries a stable
 * `code` and a message that never contains a secret, a token, a phone number or a message body.
 */
export type ErrorCode =
  | 'validation_failed'
  | 'unauthenticated'
  | 'step_up_required'
  | 'forbidden'
  | 'training_lapsed'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'sealed'
  | 'decryption_failed'
  | 'key_not_found'
  | 'invalid_shares'
  | 'config_invalid'
  | 'integrity_failed'
  | 'unavailable'
  | 'window_closed'
  | 'upstream_failed'
  | 'internal';

export class AppError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(400, 'validation_failed', message, details);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required') {
    super(401, 'unauthenticated', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed') {
    super(403, 'forbidden', message);
  }
}

/** A sensitive action needs a second factor verified within the last few minutes. */
export class StepUpRequiredError extends AppError {
  constructor(message = 'This action needs a fresh second factor: verify again and retry') {
    super(401, 'step_up_required', message);
  }
}

/** Security training or policy acknowledgement has lapsed: no access to personal data until renewed. */
export class TrainingLapsedError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(403, 'training_lapsed', message, details);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

export class RateLimitedError extends AppError {
  constructor(message = 'Too many requests') {
    super(429, 'rate_limited', message);
  }
}

/** The vault is sealed: no key material is in memory, so no personal data can be read or written. */
export class SealedError extends AppError {
  constructor() {
    super(503, 'sealed', 'The vault is sealed; unseal it with the key shares to read or write personal data');
  }
}

/** Authentication of a ciphertext failed: wrong key, wrong place (associated data), or tampering. */
export class DecryptionError extends AppError {
  constructor(message = 'Decryption failed: the ciphertext is corrupt, moved, or under another key') {
    super(500, 'decryption_failed', message);
  }
}

export class KeyNotFoundError extends AppError {
  constructor(keyVersionId: number, why = 'is not available (destroyed or unknown)') {
    super(500, 'key_not_found', `Key version ${keyVersionId} ${why}`);
  }
}

export class InvalidSharesError extends AppError {
  constructor(message: string) {
    super(400, 'invalid_shares', message);
  }
}

export class ConfigError extends AppError {
  constructor(problems: string[]) {
    super(500, 'config_invalid', `Invalid configuration:\n  - ${problems.join('\n  - ')}`, { problems });
  }
}

/** Stored evidence (the audit log) failed verification: something was altered, removed or forged. */
export class IntegrityError extends AppError {
  constructor(message: string) {
    super(500, 'integrity_failed', message);
  }
}

export class UnavailableError extends AppError {
  constructor(message: string) {
    super(503, 'unavailable', message);
  }
}

/** A free-form message outside the 24-hour customer service window: Meta would refuse it (131047). */
export class WindowClosedError extends AppError {
  constructor() {
    super(409, 'window_closed', 'The 24-hour service window is closed; send an approved template instead');
  }
}

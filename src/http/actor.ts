import type { FastifyRequest } from 'fastify';
import { UnauthenticatedError } from '../lib/errors.ts';
import type { OperatorRole } from '../features/operators/operators.table.ts';

/**
 * Who is making a request, as established by `auth` (session cookie) or, later, by a vendor API key.
 * Routes never trust anything else about the caller.
 */
export interface Actor {
  readonly type: 'operator' | 'api_key';
  readonly tenantId: string;
  readonly id: string;
  readonly role: OperatorRole | 'vendor';
  readonly sessionId?: string;
  /** When a second factor was last verified in this session (ISO); step-up compares it with now. */
  readonly mfaVerifiedAt?: string;
  readonly ip: string;
  readonly requestId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
}

/** The authenticated caller, or 401. */
export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError();
  return request.actor;
}

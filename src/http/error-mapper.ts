import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.ts';
import { isStorageUnavailable } from '../db/unavailable.ts';

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
  requestId: string;
}

/**
 * The one place errors become HTTP answers: AppErrors keep their status and code; Fastify's own
 * client errors (bad JSON, too large, wrong content type) stay 4xx; anything else is logged and
 * answered as a plain 500 that reveals nothing.
 */
export function mapError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const send = (status: number, code: string, message: string, details?: Record<string, unknown>) => {
    const payload: ErrorBody = {
      error: { code, message, ...(details ? { details } : {}) },
      requestId: request.id,
    };
    void reply.status(status).send(payload);
  };
  if (error instanceof AppError) {
    if (error.status >= 500) request.log.error({ err: error }, 'request failed');
    send(error.status, error.code, error.message, error.status < 500 ? error.details : undefined);
    return;
  }
  const status = (error as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code =
      status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request';
    send(status, code, clientMessage(error as FastifyError));
    return;
  }
  if (isStorageUnavailable(error)) {
    // The database is down or not writable: 503 so the sender (Meta, the load balancer) retries.
    request.log.warn({ err: error }, 'storage unavailable');
    send(503, 'unavailable', 'Storage is temporarily unavailable; retry later');
    return;
  }
  request.log.error({ err: error }, 'unhandled error');
  send(500, 'internal', 'Internal error');
}

function clientMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'Request body is too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Unsupported content type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'Request body is empty';
    default:
      return error.code?.startsWith('FST_ERR_CTP') || error instanceof SyntaxError
        ? 'Malformed request body'
        : 'Bad request';
  }
}

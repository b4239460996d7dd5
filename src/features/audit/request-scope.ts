import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Which sign-in session an audit entry was written in, without every feature passing it along: the
 * signed-in requests in flight, by request id, each with its session's public id
 * (`auth_sessions.id`, never its secret). Audit entries already carry their request id, so an entry
 * gets the session only when it names a signed-in request still in flight; once the response is
 * sent (or the client is gone) the request id names no session any more. A plain map, not
 * AsyncLocalStorage: that would switch on async hooks for every promise in the process.
 */
export function createRequestScope() {
  const sessions = new Map<string, string>();

  return {
    /** The session of the signed-in request `requestId`, while that request is in flight. */
    sessionOf(requestId: string | undefined): string | undefined {
      return requestId === undefined ? undefined : sessions.get(requestId);
    },

    /** Tracks every request that `sessionOfRequest` says is signed in. Register after authentication. */
    register(app: FastifyInstance, sessionOfRequest: (request: FastifyRequest) => string | undefined): void {
      app.addHook('onRequest', (request, _reply, done) => {
        const sessionId = sessionOfRequest(request);
        if (sessionId !== undefined) sessions.set(request.id, sessionId);
        done();
      });
      const forget = (request: FastifyRequest, _reply: unknown, done: () => void) => {
        sessions.delete(request.id);
        done();
      };
      app.addHook('onResponse', forget);
      app.addHook('onRequestAbort', (request, done) => forget(request, undefined, done));
    },

    /** Signed-in requests in flight (for tests: nothing may linger after the responses). */
    get inFlight(): number {
      return sessions.size;
    },
  };
}

export type RequestScope = ReturnType<typeof createRequestScope>;

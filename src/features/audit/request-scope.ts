import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** What the audit log learns of the signed-in request it is written in. */
interface RequestFacts {
  readonly requestId: string;
  /** The session's public id (`auth_sessions.id`), never its secret. */
  readonly sessionId: string;
}

const RESOURCE = Symbol('chatvault.auditScope');

declare module 'fastify' {
  interface FastifyRequest {
    [RESOURCE]?: AsyncResource;
  }
}

/**
 * Which sign-in session an audit entry was written in, without every feature passing it along: each
 * signed-in request runs in an async scope holding its request id and session id. An entry gets the
 * session only when it names that same request id, so work that outlives a request (timers, queues
 * started during it) never lends a session to entries of other requests.
 */
export function createRequestScope() {
  const storage = new AsyncLocalStorage<RequestFacts>();

  return {
    /** The session of the signed-in request `requestId`, if the caller is running inside it. */
    sessionOf(requestId: string | undefined): string | undefined {
      if (requestId === undefined) return undefined;
      const facts = storage.getStore();
      return facts?.requestId === requestId ? facts.sessionId : undefined;
    },

    /**
     * Opens the scope for every request that `request.actor` says is signed in. Register after the
     * hook that authenticates. Socket and body-parser callbacks may run outside the scope, so it is
     * re-entered before validation as well (as @fastify/request-context does); the session-chain test
     * streams a body in pieces over a real socket to check the handler still sees it.
     */
    register(app: FastifyInstance, sessionOfRequest: (request: FastifyRequest) => string | undefined): void {
      app.addHook('onRequest', (request, _reply, done) => {
        const sessionId = sessionOfRequest(request);
        if (sessionId === undefined) return done();
        storage.run({ requestId: request.id, sessionId }, () => {
          const resource = new AsyncResource('chatvault-audit-scope');
          request[RESOURCE] = resource;
          resource.runInAsyncScope(done, request.raw);
        });
      });
      app.addHook('preValidation', (request, _reply, done) => {
        const resource = request[RESOURCE];
        if (resource) resource.runInAsyncScope(done, request.raw);
        else done();
      });
    },
  };
}

export type RequestScope = ReturnType<typeof createRequestScope>;

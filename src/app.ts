import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ID_PATTERN, newId } from './lib/ids.ts';
import { mapError } from './http/error-mapper.ts';
import { openApiDocument } from './http/openapi.ts';
import { systemRoutes } from './features/system/system.routes.ts';
import type { Runtime } from './runtime.ts';

/**
 * Builds the HTTP application over a runtime: request ids, one error mapper, the feature routes.
 * It composes; it holds no logic of its own.
 */
export function buildApp(runtime: Runtime): FastifyInstance {
  const logger: FastifyBaseLogger = runtime.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: 1024 * 1024,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && ID_PATTERN.test(incoming) ? incoming : newId('rq');
    },
  });
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('cache-control', 'no-store');
  });
  app.setErrorHandler(mapError);
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send({ error: { code: 'not_found', message: 'Route not found' }, requestId: request.id });
  });
  systemRoutes(app, runtime);
  app.get('/api/openapi.json', () => openApiDocument);
  return app;
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../../lib/validation.ts';
import type { Runtime } from '../../runtime.ts';

const unsealBody = z.object({ share: z.string().min(10).max(1024) }).strict();

/** Liveness, readiness and the Vault-style unseal endpoints (shares are the credential). */
export function systemRoutes(
  app: FastifyInstance,
  runtime: Pick<Runtime, 'provider' | 'database' | 'submitShare'>,
) {
  app.get('/healthz', () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const database = (await runtime.database.ping()) ? 'up' : 'down';
    const sealed = runtime.provider.isSealed();
    const ready = database === 'up' && !sealed;
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'unavailable', sealed, database });
  });

  app.get('/api/v1/sys/seal-status', () => runtime.provider.status());

  app.post('/api/v1/sys/unseal', async (request) => {
    const { share } = parseInput(unsealBody, request.body);
    return runtime.submitShare(share);
  });
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../../lib/validation.ts';
import type { Runtime } from '../../runtime.ts';
import { secure } from '../../http/route-security.ts';

const unsealBody = z.object({ share: z.string().min(10).max(1024) }).strict();

/** Liveness, readiness and the Vault-style unseal endpoints (shares are the credential). */
export function systemRoutes(
  app: FastifyInstance,
  runtime: Pick<Runtime, 'provider' | 'database' | 'submitShare'>,
) {
  app.get('/healthz', secure.by('public', 'liveness for load balancers; no data'), () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    secure.by('public', 'readiness for load balancers; up/down and sealed only'),
    async (_request, reply) => {
      const database = (await runtime.database.ping()) ? 'up' : 'down';
      const sealed = runtime.provider.isSealed();
      const ready = database === 'up' && !sealed;
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'unavailable', sealed, database });
    },
  );

  app.get(
    '/api/v1/sys/seal-status',
    secure.by('public', 'seal state for operators unsealing; no secrets'),
    () => runtime.provider.status(),
  );

  app.post(
    '/api/v1/sys/unseal',
    secure.by('unsealShare', 'the key shares themselves are the credential'),
    async (request) => {
      const { share } = parseInput(unsealBody, request.body);
      return runtime.submitShare(share);
    },
  );
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../../lib/logger.ts';
import { parseInput } from '../../lib/validation.ts';
import { requireActor } from '../../http/actor.ts';
import type { Access } from '../access/access.service.ts';
import { tenantResource } from '../access/entities.ts';
import { ROTATABLE, type KeyLifecycle } from './rotation.service.ts';
import { KEY_PURPOSES } from './tenant-key-material.ts';
import { secure } from '../../http/route-security.ts';

const purposeParams = z.object({ purpose: z.enum(KEY_PURPOSES) }).strict();
const rotateParams = z.object({ purpose: z.enum(ROTATABLE) }).strict();
const contactParams = z.object({ contactId: z.string().regex(/^ct_[0-9a-z]{26}$/) }).strict();
const jobParams = z.object({ jobId: z.string().regex(/^kj_[0-9a-z]{26}$/) }).strict();
const policyBody = z
  .object({
    minDecryptionVersion: z.number().int().min(1).max(1_000_000).optional(),
    rotationDays: z.number().int().min(1).max(3650).optional(),
    maxEncryptions: z
      .number()
      .int()
      .min(1)
      .max(2 ** 32 - 1)
      .optional(),
  })
  .strict();
const trimBody = z
  .object({
    version: z.number().int().min(1).max(1_000_000),
    approvalId: z.string().regex(/^ap_[0-9a-z]{26}$/),
    reason: z.string().trim().min(5).max(500),
  })
  .strict();

/**
 * The key API for admins: status, rotation (the job runs in the background; its progress is a
 * resource), version policy, and trim behind an approved four-eyes request. Every route goes
 * through Cedar (`manageKeys`, `destroyKey`), whose guards also demand a fresh second factor.
 */
export function keyRoutes(
  app: FastifyInstance,
  deps: {
    access: Pick<Access, 'session' | 'approvals'>;
    lifecycle: KeyLifecycle;
    seal: () => Promise<void>;
    logger: Logger;
  },
): void {
  const { lifecycle } = deps;

  async function manager(
    request: FastifyRequest,
    action: 'manageKeys' | 'destroyKey' = 'manageKeys',
    hasReason = false,
  ) {
    const actor = requireActor(request);
    const session = await deps.access.session(actor);
    await session.enforce(
      action,
      tenantResource('Keyring', actor.tenantId),
      { type: 'keyring', id: actor.tenantId, what: 'Keyring' },
      { hasReason },
    );
    const ctx = { actor: session.auditActor, clientIp: actor.ip, requestId: actor.requestId };
    return { tenantId: actor.tenantId, ctx };
  }

  const inBackground = (jobId: string | null) => {
    if (!jobId) return;
    lifecycle.runJob(jobId).catch((error: unknown) => {
      deps.logger.error({ err: error, jobId }, 'key job stopped; the key worker resumes it');
    });
  };

  app.get('/api/v1/keys', secure.cedar('manageKeys'), async (request) => {
    const { tenantId } = await manager(request);
    return lifecycle.status(tenantId);
  });

  app.post('/api/v1/keys/:purpose/rotate', secure.cedar('manageKeys'), async (request, reply) => {
    const { tenantId, ctx } = await manager(request);
    const { purpose } = parseInput(rotateParams, request.params);
    const rotated = await lifecycle.rotate(tenantId, purpose, ctx);
    inBackground(rotated.jobId);
    return reply.status(202).send(rotated);
  });

  app.post('/api/v1/keys/contacts/:contactId/rotate', secure.cedar('manageKeys'), async (request, reply) => {
    const { tenantId, ctx } = await manager(request);
    const { contactId } = parseInput(contactParams, request.params);
    const rotated = await lifecycle.rotateContact(tenantId, contactId, ctx);
    inBackground(rotated.jobId);
    return reply.status(202).send(rotated);
  });

  app.get('/api/v1/keys/jobs/:jobId', secure.cedar('manageKeys'), async (request) => {
    const { tenantId } = await manager(request);
    const { jobId } = parseInput(jobParams, request.params);
    return { job: await lifecycle.job(jobId, tenantId) };
  });

  app.put('/api/v1/keys/:purpose/policy', secure.cedar('manageKeys'), async (request) => {
    const { tenantId, ctx } = await manager(request);
    const { purpose } = parseInput(purposeParams, request.params);
    return lifecycle.setPolicy(tenantId, purpose, parseInput(policyBody, request.body), ctx);
  });

  app.post('/api/v1/keys/:purpose/trim', secure.cedar('destroyKey'), async (request) => {
    const { tenantId, ctx } = await manager(request, 'destroyKey', true);
    const { purpose } = parseInput(purposeParams, request.params);
    const body = parseInput(trimBody, request.body);
    return lifecycle.trim(tenantId, purpose, body.version, {
      ...ctx,
      runApproved: (trx) =>
        deps.access.approvals.runApproved(trx, tenantId, body.approvalId, {
          kind: 'key_destroy',
          payloadRef: `${purpose}:${body.version}`,
        }),
    });
  });

  // The emergency brake: drops every key from memory at once (all tenants share the root key).
  app.post('/api/v1/sys/seal', secure.cedar('manageKeys'), async (request) => {
    await manager(request);
    await deps.seal();
    return { sealed: true };
  });
}

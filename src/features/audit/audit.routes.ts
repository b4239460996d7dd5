import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseInput } from '../../lib/validation.ts';
import { auditQuery, checkpointQuery, consistencyQuery, inclusionQuery } from './audit.schema.ts';
import type { AuditService } from './audit.service.ts';
import { secure } from '../../http/route-security.ts';

export interface AuditRouteDeps {
  readonly audit: Pick<AuditService, 'query' | 'checkpoints' | 'inclusionProof' | 'consistencyProof'>;
  /**
   * Establishes the caller and checks that they may read the audit log (the auditor role); throws
   * UnauthenticatedError / ForbiddenError otherwise. The tenant comes from here, never from the request.
   */
  readonly authorize: (request: FastifyRequest) => Promise<{ tenantId: string; actorId: string }>;
}

/**
 * The auditor's API: entries (filtered, keyset-paged), signed checkpoints, and inclusion and
 * consistency proofs to check against them. Not registered by `buildApp` until operator sign-in
 * (issue 4) supplies `authorize`.
 */
export function auditRoutes(app: FastifyInstance, deps: AuditRouteDeps): void {
  app.get('/api/v1/audit/entries', secure.cedar('readAudit'), async (request) => {
    const { tenantId } = await deps.authorize(request);
    return deps.audit.query(tenantId, parseInput(auditQuery, request.query));
  });

  app.get('/api/v1/audit/checkpoints', secure.cedar('readAudit'), async (request) => {
    const { tenantId } = await deps.authorize(request);
    return deps.audit.checkpoints(tenantId, parseInput(checkpointQuery, request.query));
  });

  app.get('/api/v1/audit/proofs/inclusion', secure.cedar('readAudit'), async (request) => {
    const { tenantId } = await deps.authorize(request);
    const q = parseInput(inclusionQuery, request.query);
    return deps.audit.inclusionProof(tenantId, q.seq, q.treeSize);
  });

  app.get('/api/v1/audit/proofs/consistency', secure.cedar('readAudit'), async (request) => {
    const { tenantId } = await deps.authorize(request);
    const q = parseInput(consistencyQuery, request.query);
    return deps.audit.consistencyProof(tenantId, q.first, q.second);
  });
}

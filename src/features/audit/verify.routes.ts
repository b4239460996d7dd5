import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditService } from './audit.service.ts';
import { secure } from '../../http/route-security.ts';

export interface AuditCheckRouteDeps {
  readonly audit: Pick<AuditService, 'verify' | 'export'>;
  /**
   * Establishes the caller and checks that they may verify or export the log (Cedar `verifyAudit` /
   * `exportAudit`); the tenant comes from here, never from the request.
   */
  readonly authorize: (
    request: FastifyRequest,
    action: 'verifyAudit' | 'exportAudit',
  ) => Promise<{ tenantId: string; actorId: string }>;
}

/**
 * The auditor's checks: recompute the tenant's chain, roots and signatures on demand (the first bad
 * entry is named), and download the log as JSON lines (ciphertexts only) for safekeeping.
 */
export function auditCheckRoutes(app: FastifyInstance, deps: AuditCheckRouteDeps): void {
  app.post('/api/v1/audit/verify', secure.cedar('verifyAudit'), async (request) => {
    const { tenantId } = await deps.authorize(request, 'verifyAudit');
    return { verification: await deps.audit.verify(tenantId) };
  });

  app.get('/api/v1/audit/export', secure.cedar('exportAudit'), async (request, reply) => {
    const { tenantId } = await deps.authorize(request, 'exportAudit');
    const out = new PassThrough();
    const write = (line: string) =>
      out.write(line) ? undefined : new Promise<void>((resolve) => out.once('drain', () => resolve()));
    deps.audit.export(tenantId, write).then(
      () => out.end(),
      (error: unknown) => out.destroy(error instanceof Error ? error : new Error('export failed')),
    );
    return reply
      .header('content-type', 'application/x-ndjson')
      .header('content-disposition', `attachment; filename="audit-${tenantId}.jsonl"`)
      .send(out);
  });
}

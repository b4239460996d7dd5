import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireActor } from '../../http/actor.ts';
import { secure } from '../../http/route-security.ts';
import type { Access } from '../access/access.service.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { DlpSettings } from './dlp-settings.ts';

/** The tenant's DLP settings: `GET`/`PUT /api/v1/dlp/settings` (admins, Cedar `manageChannels`; audited). */
export function dlpSettingsRoutes(
  app: FastifyInstance,
  deps: { access: Pick<Access, 'session'>; tenants: Pick<TenantService, 'getById'>; settings: DlpSettings },
): void {
  const context = async (request: FastifyRequest) => {
    const actor = requireActor(request);
    const [session, tenant] = await Promise.all([
      deps.access.session(actor),
      deps.tenants.getById(actor.tenantId),
    ]);
    return { session, tenant };
  };

  app.get('/api/v1/dlp/settings', secure.cedar('manageChannels'), async (request) => {
    const { session, tenant } = await context(request);
    return deps.settings.read(session, tenant);
  });

  app.put('/api/v1/dlp/settings', secure.cedar('manageChannels'), async (request) => {
    const { session, tenant } = await context(request);
    return deps.settings.save(session, tenant, request.body);
  });
}

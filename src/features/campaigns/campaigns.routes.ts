import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ID_PATTERN } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Access } from '../access/access.service.ts';
import { enforceWorkspace } from '../consent/workspace-guard.ts';
import { segmentDefinition } from './campaigns.schema.ts';
import type { CampaignFeature } from './index.ts';
import { secure } from '../../http/route-security.ts';

const idParams = z.object({ id: z.string().regex(ID_PATTERN) }).strict();
const commandParams = idParams.extend({ command: z.enum(['start', 'pause', 'resume', 'cancel']) }).strict();
const syncBody = z.object({ channelId: z.string().regex(ID_PATTERN).optional() }).strict();
const previewBody = z.object({ definition: segmentDefinition }).strict();

/**
 * Campaign API. Marketers (`manageCampaigns`) build and run campaigns; `readSegments` sees templates,
 * segments and counts. No answer ever lists a recipient: counts only.
 */
export function campaignRoutes(
  app: FastifyInstance,
  deps: { access: Pick<Access, 'session'>; campaigns: CampaignFeature },
): void {
  const { templates, segments, campaigns } = deps.campaigns;
  const manage = (request: Parameters<typeof enforceWorkspace>[1]) =>
    enforceWorkspace(deps.access, request, 'manageCampaigns');
  const read = (request: Parameters<typeof enforceWorkspace>[1]) =>
    enforceWorkspace(deps.access, request, 'readSegments');

  app.get('/api/v1/campaign-templates', secure.cedar('readSegments'), async (request) => {
    const s = await read(request);
    return { data: await templates.list(s.actor.tenantId) };
  });
  app.post('/api/v1/campaign-templates/sync', secure.cedar('manageCampaigns'), async (request) => {
    const s = await manage(request);
    // One channel, or (`{}`) every channel of the tenant.
    const { channelId } = parseInput(syncBody, request.body ?? {});
    if (channelId === undefined) return templates.syncAll(s.actor.tenantId);
    return { synced: await templates.sync(s.actor.tenantId, channelId), channels: 1 };
  });

  app.get('/api/v1/segments', secure.cedar('readSegments'), async (request) => {
    const s = await read(request);
    return { data: await segments.list(s.actor.tenantId) };
  });
  app.post('/api/v1/segments', secure.cedar('manageCampaigns'), async (request, reply) => {
    const s = await manage(request);
    return reply.status(201).send(await segments.save(s.actor.tenantId, request.body, s.auditActor.id));
  });
  app.post('/api/v1/segments/preview', secure.cedar('readSegments'), async (request) => {
    const s = await read(request);
    const { definition } = parseInput(previewBody, request.body);
    return { count: await segments.count(s.actor.tenantId, definition) };
  });

  app.get('/api/v1/campaigns', secure.cedar('manageCampaigns'), async (request) => {
    const s = await manage(request);
    return { data: await campaigns.list(s.actor.tenantId) };
  });
  app.post('/api/v1/campaigns', secure.cedar('manageCampaigns'), async (request, reply) => {
    const s = await manage(request);
    return reply.status(201).send(await campaigns.create(s.actor.tenantId, request.body, s.auditActor));
  });
  app.post('/api/v1/campaigns/preview', secure.cedar('manageCampaigns'), async (request) => {
    const s = await manage(request);
    return campaigns.preview(s.actor.tenantId, request.body);
  });
  app.get('/api/v1/campaigns/:id', secure.cedar('manageCampaigns'), async (request) => {
    const s = await manage(request);
    const { id } = parseInput(idParams, request.params);
    return {
      ...(await campaigns.get(s.actor.tenantId, id)),
      results: await campaigns.results(s.actor.tenantId, id),
    };
  });
  app.post('/api/v1/campaigns/:id/:command', secure.cedar('manageCampaigns'), async (request) => {
    const s = await manage(request);
    const { id, command } = parseInput(commandParams, request.params);
    return campaigns.command(s.actor.tenantId, id, command, s.auditActor);
  });
  app.get('/api/v1/campaign-alerts', secure.cedar('manageCampaigns'), async (request) => {
    const s = await manage(request);
    return { data: await campaigns.alerts(s.actor.tenantId) };
  });
}

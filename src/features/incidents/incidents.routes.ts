import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireActor } from '../../http/actor.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Access } from '../access/access.service.ts';
import { tenantResource } from '../access/entities.ts';
import type { Detection } from '../detection/detection.service.ts';
import type { Responder } from './incident-core.ts';
import type { Incidents } from './incidents.service.ts';
import { secure } from '../../http/route-security.ts';

const idParam = z.object({ id: z.string().regex(/^[a-z]{2,4}_[0-9a-z]{26}$/) }).strict();
const formatQuery = z.object({ format: z.enum(['json', 'csv']).default('json') }).passthrough();

/**
 * Alerts and incidents for staff. Reading needs `readIncidents` (auditors) or `manageIncidents`
 * (admins, owners); every change needs `manageIncidents`, and playbooks also a fresh second factor.
 * The tenant always comes from the session, never from the request.
 */
export function incidentRoutes(
  app: FastifyInstance,
  deps: { access: Pick<Access, 'session'>; incidents: Incidents; detection: Detection },
): void {
  const { incidents } = deps;

  async function caller(request: FastifyRequest, write: boolean) {
    const session = await deps.access.session(requireActor(request));
    const tenantId = session.actor.tenantId;
    const resource = tenantResource('AuditLog', tenantId);
    const target = { type: 'incidents', id: tenantId, what: 'Incidents' };
    const manage = session.decide('manageIncidents', resource);
    if (write || !manage.allowed)
      await session.enforce(write ? 'manageIncidents' : 'readIncidents', resource, target);
    const who: Responder = {
      actor: session.auditActor,
      clientIp: session.actor.ip,
      requestId: session.actor.requestId,
      ...(session.actor.mfaVerifiedAt ? { mfaVerifiedAt: session.actor.mfaVerifiedAt } : {}),
    };
    return { tenantId, who, actor: session.actor };
  }
  const id = (request: FastifyRequest) => parseInput(idParam, request.params).id;

  app.get('/api/v1/alerts', secure.cedar('readIncidents', 'manageIncidents'), async (request) => {
    const c = await caller(request, false);
    return { alerts: await deps.detection.alerts.list(c.tenantId, request.query) };
  });
  app.post('/api/v1/alerts/:id/acknowledge', secure.cedar('manageIncidents'), async (request, reply) => {
    const c = await caller(request, true);
    await deps.detection.alerts.acknowledge(c.tenantId, id(request));
    return reply.status(204).send();
  });
  /** Server-sent events: each new alert of the caller's tenant as one `alert` event. */
  app.get(
    '/api/v1/alerts/stream',
    secure.cedar('readIncidents', 'manageIncidents'),
    async (request, reply) => {
      const c = await caller(request, false);
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      reply.raw.write(': connected\n\n');
      const send = (alert: unknown) => reply.raw.write(`event: alert\ndata: ${JSON.stringify(alert)}\n\n`);
      deps.detection.alerts.live.on(c.tenantId, send);
      const ping = setInterval(() => reply.raw.write(': ping\n\n'), 25_000);
      request.raw.on('close', () => {
        clearInterval(ping);
        deps.detection.alerts.live.off(c.tenantId, send);
      });
    },
  );

  app.get('/api/v1/detection/settings', secure.cedar('manageIncidents'), async (request) => {
    const c = await caller(request, true);
    return deps.detection.settings.describe(c.tenantId);
  });
  app.post('/api/v1/detection/settings', secure.cedar('manageIncidents'), async (request, reply) => {
    const c = await caller(request, true);
    const body = parseInput(
      z.object({ thresholds: z.unknown().optional(), routes: z.unknown().optional() }).strict(),
      request.body,
    );
    await deps.detection.settings.update(c.tenantId, body);
    return reply.status(204).send();
  });

  app.get('/api/v1/incidents', secure.cedar('readIncidents', 'manageIncidents'), async (request) => {
    const c = await caller(request, false);
    return { incidents: await incidents.list(c.tenantId) };
  });
  app.post('/api/v1/incidents', secure.cedar('manageIncidents'), async (request, reply) => {
    const c = await caller(request, true);
    return reply.status(201).send({ incident: await incidents.open(c.tenantId, request.body, c.who) });
  });
  app.get('/api/v1/incidents/:id', secure.cedar('readIncidents', 'manageIncidents'), async (request) => {
    const c = await caller(request, false);
    const incidentId = id(request);
    return {
      incident: await incidents.get(c.tenantId, incidentId),
      timeline: await incidents.timeline(c.tenantId, incidentId),
    };
  });
  app.post('/api/v1/incidents/:id/state', secure.cedar('manageIncidents'), async (request) => {
    const c = await caller(request, true);
    return { incident: await incidents.transition(c.tenantId, id(request), request.body, c.who) };
  });
  app.post('/api/v1/incidents/:id/notes', secure.cedar('manageIncidents'), async (request, reply) => {
    const c = await caller(request, true);
    await incidents.note(c.tenantId, id(request), request.body, c.who);
    return reply.status(204).send();
  });
  app.post('/api/v1/incidents/:id/playbooks', secure.cedar('manageIncidents'), async (request) => {
    const c = await caller(request, true);
    return incidents.playbooks.run(c.tenantId, id(request), request.body as never, {
      ...c.who,
      stepUp: c.actor,
    });
  });
  app.get(
    '/api/v1/incidents/:id/blast-radius',
    secure.cedar('readIncidents', 'manageIncidents'),
    async (request, reply) => {
      const c = await caller(request, false);
      const { format, ...scope } = parseInput(formatQuery, request.query);
      const suspect =
        typeof scope.suspectType === 'string' && typeof scope.suspectId === 'string'
          ? { suspect: { type: scope.suspectType, id: scope.suspectId } }
          : {};
      const b = await incidents.blastRadiusOf(c.tenantId, id(request), {
        ...suspect,
        ...(typeof scope.from === 'string' ? { from: scope.from } : {}),
        ...(typeof scope.to === 'string' ? { to: scope.to } : {}),
      });
      if (format === 'csv')
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="blast-radius-${id(request)}.csv"`)
          .send(incidents.blastRadiusCsv(b));
      return b;
    },
  );
  app.get(
    '/api/v1/incidents/:id/regulator-draft',
    secure.cedar('readIncidents', 'manageIncidents'),
    async (request) => {
      const c = await caller(request, false);
      return incidents.regulatorDraft(c.tenantId, id(request));
    },
  );
  app.get(
    '/api/v1/incidents/:id/notices',
    secure.cedar('readIncidents', 'manageIncidents'),
    async (request) => {
      const c = await caller(request, false);
      await incidents.get(c.tenantId, id(request)); // another tenant's incident answers 404
      return { notices: await incidents.notices.list(c.tenantId, id(request)) };
    },
  );
  app.post('/api/v1/incidents/:id/notices', secure.cedar('manageIncidents'), async (request) => {
    const c = await caller(request, true);
    return incidents.sendCustomerNotices(c.tenantId, id(request), c.who);
  });
  app.post('/api/v1/incidents/:id/notify-tenant', secure.cedar('manageIncidents'), async (request) => {
    const c = await caller(request, true);
    return { recipients: await incidents.notifyTenant(c.tenantId, id(request), c.who) };
  });
  app.post('/api/v1/incidents/:id/review', secure.cedar('manageIncidents'), async (request, reply) => {
    const c = await caller(request, true);
    await incidents.review(c.tenantId, id(request), request.body, c.who);
    return reply.status(204).send();
  });
  app.get(
    '/api/v1/incidents/:id/review',
    secure.cedar('readIncidents', 'manageIncidents'),
    async (request) => {
      const c = await caller(request, false);
      return { review: await incidents.readReview(c.tenantId, id(request)) };
    },
  );
  app.get(
    '/api/v1/incidents/:id/report.html',
    secure.cedar('readIncidents', 'manageIncidents'),
    async (request, reply) => {
      const c = await caller(request, false);
      const html = await incidents.reportHtml(c.tenantId, id(request));
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(html);
    },
  );
}

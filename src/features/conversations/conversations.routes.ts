import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireActor } from '../../http/actor.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Access } from '../access/access.service.ts';
import type { TenantService } from '../tenants/tenants.service.ts';
import type { ConversationMessages } from './conversation-messages.service.ts';
import type { Conversations } from './conversations.service.ts';
import { idParam } from './conversations.schema.ts';
import type { InboxSearch } from './search.service.ts';
import { secure } from '../../http/route-security.ts';

/**
 * The inbox API the console works on: conversations (masked customers), their messages, replies,
 * templates, tags and search. Every route decides through the caller's policy session.
 */
export function conversationRoutes(
  app: FastifyInstance,
  deps: {
    access: Pick<Access, 'session'>;
    tenants: Pick<TenantService, 'getById'>;
    conversations: Conversations;
    messages: ConversationMessages;
    search: InboxSearch;
  },
): void {
  const context = async (request: FastifyRequest) => {
    const actor = requireActor(request);
    const [session, tenant] = await Promise.all([
      deps.access.session(actor),
      deps.tenants.getById(actor.tenantId),
    ]);
    return { session, tenant };
  };
  const param = (request: FastifyRequest) => parseInput(idParam, request.params).id;

  app.get('/api/v1/conversations', secure.cedar('listContacts'), async (request) => {
    const { session, tenant } = await context(request);
    return deps.conversations.list(session, tenant, request.query as Record<string, unknown>);
  });

  app.get('/api/v1/conversations/:id', secure.cedar('readMasked'), async (request) => {
    const { session, tenant } = await context(request);
    return deps.conversations.get(session, tenant, param(request));
  });

  app.get('/api/v1/conversations/:id/messages', secure.cedar('readMessages'), async (request) => {
    const { session, tenant } = await context(request);
    return deps.messages.list(session, tenant, param(request), request.query);
  });

  app.post('/api/v1/conversations/:id/messages', secure.cedar('sendMessage'), async (request, reply) => {
    const { session, tenant } = await context(request);
    return reply.status(202).send(await deps.messages.send(session, tenant, param(request), request.body));
  });

  app.post('/api/v1/conversations/:id/read', secure.cedar('readMessages'), async (request, reply) => {
    const { session, tenant } = await context(request);
    await deps.conversations.markRead(session, tenant, param(request));
    return reply.status(204).send();
  });

  app.get('/api/v1/conversations/:id/templates', secure.cedar('sendMessage'), async (request) => {
    const { session, tenant } = await context(request);
    return deps.messages.templates(session, tenant, param(request));
  });

  app.put('/api/v1/contacts/:id/tags', secure.cedar('updateContact'), async (request) => {
    const { session, tenant } = await context(request);
    return deps.conversations.setTags(session, tenant, param(request), request.body);
  });

  app.post('/api/v1/search', secure.cedar('listContacts'), async (request) => {
    const { session, tenant } = await context(request);
    return deps.search.search(session, tenant, request.body);
  });
}

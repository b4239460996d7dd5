import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../db/database.ts';
import { requireActor, type Actor } from '../../http/actor.ts';
import { ID_PATTERN } from '../../lib/ids.ts';
import type { Logger } from '../../lib/logger.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Access } from '../access/access.service.ts';
import { contactFacts } from '../access/directory.service.ts';
import { conversationEntities, tenantResource } from '../access/entities.ts';
import type { AccessSession } from '../access/sessions.ts';
import { CONTENT_SECURITY_POLICY } from '../auth/security-headers.ts';
import * as repo from './live.repository.ts';
import type { LiveFeed } from './live.service.ts';
import { secure } from '../../http/route-security.ts';

const query = z
  .object({ conversation: z.string().max(40).regex(ID_PATTERN, 'conversation must be an id').optional() })
  .strict();
const HEARTBEAT_MS = 15_000;

/**
 * `GET /api/v1/events`: Server-Sent Events telling the console which conversations changed. Each
 * event names a conversation id only, and only one the operator may see: one they may read
 * (`readMessages`), an unassigned one, or any for those who assign. The stream ends when the
 * session does (checked without extending it), and the browser reconnects with its new cookie.
 */
export function liveRoutes(
  app: FastifyInstance,
  deps: {
    db: Db;
    access: Pick<Access, 'session'>;
    feed: LiveFeed;
    sessionIsLive: (sessionId: string) => Promise<boolean>;
    logger: Logger;
  },
): void {
  async function visible(actor: Actor, tenantId: string, ids: ReadonlySet<string>): Promise<string[]> {
    if (ids.size === 0) return [];
    const session: AccessSession = await deps.access.session(actor);
    const all = session.decide('manageAssignments', tenantResource('Workspace', tenantId)).allowed;
    const rows = await repo.conversationContacts(deps.db, tenantId, [...ids]);
    const facts = await contactFacts(
      deps.db,
      tenantId,
      rows.map((r) => r.contact_id),
    );
    return rows
      .filter((r) => {
        const f = facts.get(r.contact_id)!;
        if (all || f.assignedOperators.length === 0) return true;
        const { resource, related } = conversationEntities(r.id, f);
        return session.decide('readMessages', resource, { related }).allowed;
      })
      .map((r) => r.id);
  }

  const open = new Set<() => void>();
  // Streams never end by themselves: close them before the server waits for its connections.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
    await deps.feed.stop();
  });

  app.get(
    '/api/v1/events',
    secure.session('events are filtered per conversation by readMessages'),
    async (request, reply) => {
      const actor = requireActor(request);
      const { conversation } = parseInput(query, request.query);
      if (conversation) {
        const session = await deps.access.session(actor);
        const [row] = await repo.conversationContacts(deps.db, actor.tenantId, [conversation]);
        if (!row) return reply.callNotFound();
        const f = (await contactFacts(deps.db, actor.tenantId, [row.contact_id])).get(row.contact_id)!;
        const { resource, related } = conversationEntities(conversation, f);
        await session.enforce(
          'readMessages',
          resource,
          { type: 'conversation', id: conversation, what: 'Conversation' },
          { related },
        );
      }

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-request-id': request.id,
        connection: 'keep-alive',
      });
      const send = (event: string, data: unknown) =>
        raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      raw.write('retry: 2000\n\n');
      send('ready', { conversation: conversation ?? null });

      let closed = false;
      let queue = Promise.resolve();
      const unsubscribe = deps.feed.subscribe({
        tenantId: actor.tenantId,
        ...(conversation ? { watch: conversation } : {}),
        onChange(ids, watchedChanged) {
          queue = queue
            .then(async () => {
              if (closed) return;
              const shown = await visible(actor, actor.tenantId, ids);
              if (shown.length > 0) send('conversations', { ids: shown });
              if (conversation && (watchedChanged || shown.includes(conversation)))
                send('messages', { id: conversation });
            })
            .catch((error: unknown) => {
              deps.logger.warn({ err: error }, 'live events: could not deliver a change');
              end();
            });
        },
      });
      const heartbeat = setInterval(() => {
        void (async () => {
          if (!actor.sessionId || !(await deps.sessionIsLive(actor.sessionId))) return end();
          raw.write(': keep-alive\n\n');
        })().catch(() => end());
      }, HEARTBEAT_MS);

      function end(): void {
        if (closed) return;
        closed = true;
        open.delete(end);
        clearInterval(heartbeat);
        unsubscribe();
        raw.end();
      }
      open.add(end);
      request.raw.on('close', end);
    },
  );
}

import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { GroupCommitter } from '../../../db/group-commit.ts';
import { AppError, NotFoundError, UnauthenticatedError, ValidationError } from '../../../lib/errors.ts';
import { parseInput } from '../../../lib/validation.ts';
import { secure } from '../../../http/route-security.ts';
import type { ChannelService } from '../../channels/channels.service.ts';
import type { TenantService } from '../../tenants/tenants.service.ts';
import type { IngestService } from './ingest.service.ts';
import { secretsEqual, verifyMetaSignature } from './signature.ts';
import { envelope } from './webhook.schema.ts';

export const WEBHOOK_BODY_LIMIT = 3 * 1024 * 1024;

const params = z.object({ channelId: z.string().regex(/^ch_[0-9a-z]{26}$/) });
const handshake = z.object({
  'hub.mode': z.literal('subscribe'),
  'hub.verify_token': z.string().min(1).max(256),
  'hub.challenge': z.string().regex(/^[\x21-\x7e]{1,256}$/),
});

export interface WebhookDeps {
  readonly channels: Pick<ChannelService, 'get'>;
  readonly tenants: Pick<TenantService, 'getById'>;
  readonly ingest: IngestService;
  readonly committer: GroupCommitter;
  /** Records a refused delivery (bad signature, unreadable body) for the audit trail. */
  readonly onRefused: (
    channelId: string,
    reason: 'signature' | 'body',
    ip: string,
    requestId: string,
  ) => Promise<void>;
}

/**
 * Meta's webhook: the GET subscription handshake and signed POST deliveries. The body is read as raw
 * bytes (3 MB limit), its signature checked over exactly those bytes before any parsing, and `200` is
 * only sent after the delivery's rows are committed; anything else makes Meta retry.
 */
export function webhookRoutes(app: FastifyInstance, deps: WebhookDeps): void {
  void app.register((scope, _opts, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT },
      (_req, body, next) => next(null, body),
    );

    scope.get(
      '/webhooks/whatsapp/:channelId',
      secure.by('webhookSignature', 'Meta subscription handshake: the channel verify token'),
      async (request, reply) => {
        const { channelId } = parseChannel(request.params);
        const channel = await deps.channels.get(channelId);
        const query = handshake.safeParse(request.query);
        if (!query.success || !secretsEqual(query.data['hub.verify_token'], channel.verifyToken)) {
          return reply
            .status(403)
            .send({ error: { code: 'forbidden', message: 'Verification failed' }, requestId: request.id });
        }
        return reply.type('text/plain').send(query.data['hub.challenge']);
      },
    );

    // Meta delivers up to thousands of webhooks a second: no access-log lines for them (refusals are
    // audited, failures still logged as errors).
    const post = {
      bodyLimit: WEBHOOK_BODY_LIMIT,
      logLevel: 'warn',
      ...secure.by('webhookSignature', 'X-Hub-Signature-256 over the raw body with the channel app secret'),
    } as const;
    scope.post('/webhooks/whatsapp/:channelId', post, async (request, reply) => {
      const { channelId } = parseChannel(request.params);
      const channel = await deps.channels.get(channelId);
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signature = request.headers['x-hub-signature-256'];
      if (
        !verifyMetaSignature(raw, typeof signature === 'string' ? signature : undefined, channel.appSecret)
      ) {
        await deps.onRefused(channel.id, 'signature', request.ip, request.id);
        throw new UnauthenticatedError('Invalid webhook signature');
      }
      const delivery = parseDelivery(raw);
      const tenant = await deps.tenants.getById(channel.tenantId);
      try {
        const stats = await deps.committer.submit((trx) =>
          deps.ingest.process(trx, tenant, channel, delivery),
        );
        return ok(reply, stats);
      } catch (error) {
        if (error instanceof AppError && error.status < 500)
          await deps.onRefused(channel.id, 'body', request.ip, request.id);
        throw error;
      }
    });
    done();
  });
}

function parseChannel(raw: unknown) {
  const parsed = params.safeParse(raw);
  if (!parsed.success) throw new NotFoundError('Channel');
  return parsed.data;
}

function parseDelivery(raw: Buffer) {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ValidationError('Webhook body is not JSON');
  }
  return parseInput(envelope, json);
}

function ok(reply: FastifyReply, stats: object) {
  return reply.status(200).send({ received: true, ...stats });
}

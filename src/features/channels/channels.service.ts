import { associatedData, keyVersionOf, open, seal } from '../../lib/crypto/aead.ts';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import * as repo from './channels.repository.ts';
import { channelConfig, channelSecretsPatch, type ChannelConfig } from './channels.schema.ts';
import type { ChannelsTable } from './channels.table.ts';

/** A channel with its secrets, decrypted in memory for the webhook and the Graph API client only. */
export interface Channel {
  readonly id: string;
  readonly tenantId: string;
  readonly phoneNumberId: string;
  readonly wabaId: string;
  readonly appSecret: string;
  readonly verifyToken: string;
  readonly accessToken: string;
}

/** What anyone may see of a channel: ids and masked secrets. */
export interface MaskedChannel {
  readonly id: string;
  readonly phoneNumberId: string;
  readonly wabaId: string;
  readonly webhookPath: string;
  readonly appSecret: string;
  readonly verifyToken: string;
  readonly accessToken: string;
}

const mask = (secret: string) => `${'•'.repeat(8)}${secret.slice(-4)}`;

export function webhookPath(channelId: string): string {
  return `/webhooks/whatsapp/${channelId}`;
}

/** WhatsApp business numbers of a tenant; secrets are sealed under the tenant `restricted` key. */
export function createChannelService(deps: { db: Db; keyring: Pick<Keyring, 'tenantKey'>; clock: Clock }) {
  const { db, keyring } = deps;
  const cache = new Map<string, Channel>();
  const ad = (tenantId: string, id: string) => associatedData(tenantId, 'channels', 'secrets', id);

  async function sealSecrets(
    tenantId: string,
    id: string,
    secrets: Omit<ChannelConfig, 'phoneNumberId' | 'wabaId'>,
  ) {
    const key = await keyring.tenantKey(tenantId, 'restricted');
    return seal(key, Buffer.from(JSON.stringify(secrets)), ad(tenantId, id));
  }

  async function toChannel(row: ChannelsTable): Promise<Channel> {
    const key = await keyring.tenantKey(row.tenant_id, 'restricted', keyVersionOf(row.secrets_ct));
    const secrets = JSON.parse(open(key, row.secrets_ct, ad(row.tenant_id, row.id)).toString('utf8')) as Pick<
      Channel,
      'appSecret' | 'verifyToken' | 'accessToken'
    >;
    return {
      id: row.id,
      tenantId: row.tenant_id,
      phoneNumberId: row.phone_number_id,
      wabaId: row.waba_id,
      ...secrets,
    };
  }

  /** The channel with its secrets (cached in memory until `forget()`); NotFound for any unknown id. */
  async function get(id: string): Promise<Channel> {
    const cached = cache.get(id);
    if (cached) return cached;
    const row = await repo.findChannel(db, id);
    if (!row) throw new NotFoundError('Channel');
    const channel = await toChannel(row);
    cache.set(id, channel);
    return channel;
  }

  return {
    async add(tenant: Tenant, input: unknown): Promise<MaskedChannel> {
      const config = parseInput(channelConfig, input);
      const id = newId('ch');
      const now = deps.clock.now().toISOString();
      const { phoneNumberId, wabaId, ...secrets } = config;
      const row: ChannelsTable = {
        id,
        tenant_id: tenant.id,
        phone_number_id: phoneNumberId,
        waba_id: wabaId,
        secrets_ct: await sealSecrets(tenant.id, id, secrets),
        created_at: now,
        updated_at: now,
      };
      await db.transaction().execute(async (trx) => {
        if (await repo.findChannelByPhoneNumberId(trx, phoneNumberId)) {
          throw new ConflictError('This phone number id is already connected');
        }
        await repo.insertChannel(trx, row);
      });
      return maskChannel(await toChannel(row));
    },

    get,

    /** The channel of this tenant, or NotFound (another tenant's channel id answers 404 too). */
    async getForTenant(tenantId: string, id: string): Promise<Channel> {
      const channel = await get(id);
      if (channel.tenantId !== tenantId) throw new NotFoundError('Channel');
      return channel;
    },

    async list(tenant: Tenant): Promise<MaskedChannel[]> {
      return Promise.all(
        (await repo.listChannels(db, tenant.id)).map(async (r) => maskChannel(await toChannel(r))),
      );
    },

    /** Replaces some secrets (token rotation); the old values are gone from disk and memory. */
    async rotateSecrets(tenant: Tenant, id: string, patch: unknown): Promise<MaskedChannel> {
      const changes = parseInput(channelSecretsPatch, patch);
      const row = await repo.findChannel(db, id);
      if (!row || row.tenant_id !== tenant.id) throw new NotFoundError('Channel');
      const current = await toChannel(row);
      const next = { ...pickSecrets(current), ...changes };
      await repo.updateChannelSecrets(
        db,
        id,
        await sealSecrets(tenant.id, id, next),
        deps.clock.now().toISOString(),
      );
      cache.delete(id);
      return maskChannel({ ...current, ...next });
    },

    /** Drops every decrypted secret from memory (on seal). */
    forget(): void {
      cache.clear();
    },
  };
}

export type ChannelService = ReturnType<typeof createChannelService>;

function pickSecrets(c: Channel) {
  return { appSecret: c.appSecret, verifyToken: c.verifyToken, accessToken: c.accessToken };
}

export function maskChannel(c: Channel): MaskedChannel {
  return {
    id: c.id,
    phoneNumberId: c.phoneNumberId,
    wabaId: c.wabaId,
    webhookPath: webhookPath(c.id),
    appSecret: mask(c.appSecret),
    verifyToken: mask(c.verifyToken),
    accessToken: mask(c.accessToken),
  };
}

import assert from 'node:assert/strict';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { createLocalBlobStore } from '../../src/features/media/blob-store.ts';
import { blobAd } from '../../src/features/media/media-fetch.ts';
import * as contactsRepo from '../../src/features/contacts/contacts.repository.ts';
import type { Tenant } from '../../src/features/tenants/tenants.service.ts';
import { createEncryptStream } from '../../src/lib/crypto/stream.ts';
import { newId } from '../../src/lib/ids.ts';
import type { AccessFixture } from './access.ts';
import { enrollWithTotp, invite, signIn, type Client, type manualClock } from './auth.ts';
import { sign } from './meta.ts';

/** Real records of one tenant that the account, media and restricted-reveal routes name by id. */
export interface PrivateRecords {
  readonly conversation: string;
  readonly message: string;
  readonly media: string;
  readonly session: string;
  readonly passkey: string;
  /** The tenant's signed-in operator who owns `session` and `passkey`. */
  readonly operator: string;
  readonly client: Client;
}

const deadline = async <T>(probe: () => Promise<T | undefined>, what: string): Promise<T> => {
  for (let i = 0; i < 600; i++) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

/**
 * Seeds, in `tenant`, an inbound message whose card number DLP cut out (a restricted message, through
 * the signed webhook as Meta would send it), a media object encrypted under that customer's key on
 * the message, and a signed-in operator with a session and a passkey.
 */
export async function seedPrivateRecords(
  f: AccessFixture,
  clock: ReturnType<typeof manualClock>,
  tenant: Tenant,
  channel: { id: string; appSecret: string; phoneNumberId: string; wabaId: string },
): Promise<PrivateRecords> {
  const rt = f.t.runtime;
  const db = rt.database.db;
  const waId = '4915112345678';
  const delivery = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: channel.wabaId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: channel.phoneNumberId },
              contacts: [{ profile: { name: 'Sweep Customer' }, wa_id: waId }],
              messages: [
                {
                  from: waId,
                  id: `wamid.sweep${newId('x').slice(3)}`,
                  timestamp: String(Math.floor(clock.now().getTime() / 1000)),
                  type: 'text',
                  text: { body: 'my card is 4111 1111 1111 1111, please charge it' },
                },
              ],
            },
          },
        ],
      },
    ],
  };
  const body = Buffer.from(JSON.stringify(delivery));
  const hook: LightMyRequestResponse = await f.app.inject({
    method: 'POST',
    url: `/webhooks/whatsapp/${channel.id}`,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, channel.appSecret) },
    payload: body,
  });
  assert.equal(hook.statusCode, 200, `webhook: ${hook.statusCode} ${hook.body.slice(0, 200)}`);
  const message = await deadline(
    () =>
      db
        .selectFrom('messages')
        .select(['id', 'conversation_id', 'contact_id'])
        .where('tenant_id', '=', tenant.id)
        .where('direction', '=', 'inbound')
        .executeTakeFirst(),
    'the inbound message',
  );

  const contact = await contactsRepo.findById(db, tenant.id, message.contact_id);
  assert.ok(contact?.key_wrapped, 'the customer has a key');
  const key = await rt.keyring.openContactKey(
    tenant.id,
    contact.id,
    contact.key_version,
    contact.key_wrapped,
  );
  const media = newId('md');
  const blobs = createLocalBlobStore(path.join(rt.config.dataDir, 'blobs'));
  const file = Buffer.from('sweep media: a receipt photo');
  await blobs.put(tenant.id, media, Readable.from([file]), [
    createEncryptStream(key, blobAd(tenant.id, media)),
  ]);
  await db
    .insertInto('media')
    .values({
      id: media,
      tenant_id: tenant.id,
      contact_id: contact.id,
      message_id: message.id,
      key_version: key.id,
      mime_type: 'image/jpeg',
      size_bytes: file.length,
      created_at: clock.now().toISOString(),
    })
    .execute();

  const password = 'sweep-private-records-pass-91';
  const email = `sweep.${tenant.slug}@example.com`;
  const { token, operator } = await invite(rt, tenant, email, 'admin');
  const { seed } = await enrollWithTotp(f.app, clock, token, password);
  const client = await signIn(f.app, clock, { tenant: tenant.slug, email, password, seed });
  const session = await db
    .selectFrom('auth_sessions')
    .select('id')
    .where('tenant_id', '=', tenant.id)
    .where('operator_id', '=', operator.id)
    .where('kind', '=', 'session')
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow();
  const passkey = newId('pk');
  await db
    .insertInto('auth_passkeys')
    .values({
      id: passkey,
      tenant_id: tenant.id,
      operator_id: operator.id,
      credential_id: `sweep-${passkey}`,
      public_key: Buffer.alloc(77, 1),
      counter: 0,
      transports: '["internal"]',
      device_type: 'singleDevice',
      backed_up: 0,
      name: 'Sweep laptop',
      created_at: clock.now().toISOString(),
      last_used_at: null,
    })
    .execute();
  return {
    conversation: message.conversation_id,
    message: message.id,
    media,
    session: session.id,
    passkey,
    operator: operator.id,
    client,
  };
}

/** The stored rows of the records, to compare before and after another tenant's attempts. */
export async function snapshotRecords(f: AccessFixture, r: PrivateRecords): Promise<Record<string, string>> {
  const db = f.t.runtime.database.db;
  // Buffers serialise as { type, data }: the whole row is compared as JSON text.
  const json = (row: object | undefined): string => JSON.stringify(row ?? null);
  return {
    message: json(await db.selectFrom('messages').selectAll().where('id', '=', r.message).executeTakeFirst()),
    media: json(await db.selectFrom('media').selectAll().where('id', '=', r.media).executeTakeFirst()),
    session: json(
      await db
        .selectFrom('auth_sessions')
        .select(['id', 'operator_id', 'revoked_at', 'expires_at', 'mfa_verified_at'])
        .where('id', '=', r.session)
        .executeTakeFirst(),
    ),
    passkey: json(
      await db.selectFrom('auth_passkeys').selectAll().where('id', '=', r.passkey).executeTakeFirst(),
    ),
  };
}

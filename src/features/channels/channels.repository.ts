import type { Db } from '../../db/database.ts';
import type { ChannelsTable } from './channels.table.ts';

export async function insertChannel(db: Db, row: ChannelsTable): Promise<void> {
  await db.insertInto('channels').values(row).execute();
}

export async function findChannel(db: Db, id: string) {
  return db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findChannelByPhoneNumberId(db: Db, phoneNumberId: string) {
  return db
    .selectFrom('channels')
    .selectAll()
    .where('phone_number_id', '=', phoneNumberId)
    .executeTakeFirst();
}

export async function listChannels(db: Db, tenantId: string) {
  return db
    .selectFrom('channels')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .execute();
}

export async function updateChannelSecrets(db: Db, id: string, secrets: Buffer, at: string): Promise<void> {
  await db
    .updateTable('channels')
    .set({ secrets_ct: secrets, updated_at: at })
    .where('id', '=', id)
    .execute();
}

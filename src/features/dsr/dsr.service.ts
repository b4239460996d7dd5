import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { associatedData, seal } from '../../lib/crypto/aead.ts';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Logger } from '../../lib/logger.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { AuditActor } from '../audit/audit.schema.ts';
import type { AuditService } from '../audit/audit.service.ts';
import * as settingsRepo from '../consent/consent.repository.ts';
import type { ContactService } from '../contacts/contacts.service.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import { createDsrRequest, dsrSettings, rectification, type DsrSettings } from './dsr.schema.ts';
import type { DsrRequestsTable } from './dsr.table.ts';
import type { Erasure } from './erasure.service.ts';
import { newPassphrase, sealArchive } from './export-archive.ts';

const DAY_MS = 86_400_000;
const sha256 = (v: string) => createHash('sha256').update(v, 'utf8').digest();

/** A request as the console shows it: ids, type, status and its deadline clock; no personal data. */
export interface DsrRequestView {
  readonly id: string;
  readonly contactId: string;
  readonly type: DsrRequestsTable['type'];
  readonly status: DsrRequestsTable['status'];
  readonly regime: string;
  readonly receivedAt: string;
  readonly dueAt: string;
  readonly completedAt: string | null;
  /** Whole days left until the deadline (negative once overdue); null when completed. */
  readonly daysLeft: number | null;
  readonly overdue: boolean;
}

/**
 * Data-subject requests: each one recorded with its type, status and deadline (per-tenant regime),
 * then executed — access as an encrypted archive behind a one-time link, erasure by crypto-shredding,
 * rectification through the contact service. Every step is audited; reasons are stored encrypted.
 */
export function createDsrService(deps: {
  db: Db;
  keyring: Pick<Keyring, 'tenantKey'>;
  contacts: Pick<ContactService, 'update'>;
  erasure: Pick<Erasure, 'erase' | 'purgeOne'>;
  collect: (tenant: Tenant, contactId: string, at: Date) => Promise<Buffer>;
  audit: Pick<AuditService, 'append'>;
  exportDir: string;
  clock: Clock;
  logger: Logger;
}) {
  const { db, clock } = deps;

  async function settings(tenantId: string): Promise<DsrSettings> {
    return dsrSettings.parse((await settingsRepo.findSettings(db, tenantId, 'dsr')) ?? {});
  }

  function view(r: DsrRequestsTable): DsrRequestView {
    const left = (Date.parse(r.due_at) - clock.now().getTime()) / DAY_MS;
    const open = r.status === 'open' || r.status === 'in_progress';
    return {
      id: r.id,
      contactId: r.contact_id,
      type: r.type,
      status: r.status,
      regime: r.regime,
      receivedAt: r.received_at,
      dueAt: r.due_at,
      completedAt: r.completed_at,
      daysLeft: open ? Math.floor(left) : null,
      overdue: open && left < 0,
    };
  }

  async function load(tenantId: string, id: string): Promise<DsrRequestsTable> {
    const row = await db
      .selectFrom('dsr_requests')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Data request');
    return row;
  }

  async function complete(
    trx: Db,
    row: DsrRequestsTable,
    actor: AuditActor,
    extra: Partial<DsrRequestsTable>,
  ) {
    const now = clock.now().toISOString();
    await trx
      .updateTable('dsr_requests')
      .set({ status: 'completed', completed_at: now, updated_at: now, ...extra })
      .where('id', '=', row.id)
      .execute();
    await deps.audit.append(trx, {
      tenantId: row.tenant_id,
      actor,
      action:
        row.type === 'access'
          ? 'sensitive_export'
          : row.type === 'erasure'
            ? 'sensitive_delete'
            : 'sensitive_update',
      target: { type: 'dsr_request', id: row.id },
      outcome: 'success',
      detail: { type: row.type, contact: row.contact_id },
    });
  }

  return {
    settings,

    async saveSettings(tenantId: string, input: unknown): Promise<DsrSettings> {
      const value = parseInput(dsrSettings, input);
      await settingsRepo.saveSettings(db, tenantId, 'dsr', value, clock.now().toISOString());
      return value;
    },

    /** Records a request and starts its deadline clock (from when the customer asked). */
    async create(tenant: Tenant, input: unknown, actor: AuditActor): Promise<DsrRequestView> {
      const v = parseInput(createDsrRequest, input);
      const contact = await db
        .selectFrom('contacts')
        .select('id')
        .where('tenant_id', '=', tenant.id)
        .where('id', '=', v.contactId)
        .where('key_wrapped', 'is not', null)
        .executeTakeFirst();
      if (!contact) throw new NotFoundError('Contact');
      const s = await settings(tenant.id);
      const received = v.receivedAt ? new Date(v.receivedAt) : clock.now();
      const id = newId('dr');
      const restricted = await deps.keyring.tenantKey(tenant.id, 'restricted');
      const row: DsrRequestsTable = {
        id,
        tenant_id: tenant.id,
        contact_id: v.contactId,
        type: v.type,
        status: 'open',
        regime: s.regime,
        reason_ct: seal(
          restricted,
          Buffer.from(v.reason),
          associatedData(tenant.id, 'dsr_requests', 'reason', id),
        ),
        detail: '{}',
        created_by: `${actor.type}:${actor.id}`,
        received_at: received.toISOString(),
        due_at: new Date(received.getTime() + s.deadlineDays * DAY_MS).toISOString(),
        completed_at: null,
        download_hash: null,
        download_expires_at: null,
        download_file: null,
        updated_at: clock.now().toISOString(),
      };
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('dsr_requests').values(row).execute();
        await deps.audit.append(trx, {
          tenantId: tenant.id,
          actor,
          action: 'sensitive_create',
          target: { type: 'dsr_request', id },
          outcome: 'success',
          reason: v.reason,
          detail: { type: v.type, contact: v.contactId },
        });
      });
      return view(row);
    },

    async list(tenantId: string): Promise<DsrRequestView[]> {
      const rows = await db
        .selectFrom('dsr_requests')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('due_at')
        .limit(500)
        .execute();
      return rows.map(view);
    },

    async get(tenantId: string, id: string): Promise<DsrRequestView> {
      return view(await load(tenantId, id));
    },

    /** Erasure: the key is destroyed now; the rows are purged right after, off the caller's path. */
    async executeErasure(
      tenant: Tenant,
      id: string,
      actor: AuditActor,
      options: { purgeNow?: boolean } = {},
    ) {
      const row = await load(tenant.id, id);
      if (row.type !== 'erasure' || row.status === 'completed')
        throw new ConflictError('Not an open erasure request');
      const outcome = await deps.erasure.erase(tenant.id, row.contact_id, {
        actor,
        origin: 'request',
        requestId: id,
      });
      await db.transaction().execute((trx) => complete(trx, row, actor, {}));
      if (options.purgeNow) {
        const purged = await deps.erasure.purgeOne(tenant.id, row.contact_id);
        return { request: view(await load(tenant.id, id)), keyDestroyedMs: outcome.keyDestroyedMs, purged };
      }
      setImmediate(() => {
        deps.erasure.purgeOne(tenant.id, row.contact_id).catch((error: unknown) => {
          deps.logger.error(
            { err: error, request: id },
            'dsr: purge after erasure failed; it is retried by purgePending',
          );
        });
      });
      return {
        request: view(await load(tenant.id, id)),
        keyDestroyedMs: outcome.keyDestroyedMs,
        purged: null,
      };
    },

    /** Rectification: the corrected fields go through the contact service (audited there too). */
    async executeRectification(tenant: Tenant, id: string, input: unknown, actor: AuditActor) {
      const row = await load(tenant.id, id);
      if (row.type !== 'rectification' || row.status === 'completed')
        throw new ConflictError('Not an open rectification request');
      const patch = parseInput(rectification, input);
      await deps.contacts.update(tenant, row.contact_id, patch, actor);
      const fields = Object.keys(patch).sort();
      await db
        .transaction()
        .execute((trx) => complete(trx, row, actor, { detail: JSON.stringify({ fields }) }));
      return view(await load(tenant.id, id));
    },

    /**
     * Access: the archive is sealed under a fresh passphrase and kept (ciphertext only) until its
     * one-time link is used or expires. The passphrase and the link token are returned once, never stored.
     */
    async executeAccess(tenant: Tenant, id: string, actor: AuditActor) {
      const row = await load(tenant.id, id);
      if (row.type !== 'access' || row.status === 'completed')
        throw new ConflictError('Not an open access request');
      const passphrase = newPassphrase();
      const archive = sealArchive(await deps.collect(tenant, row.contact_id, clock.now()), passphrase);
      fs.mkdirSync(deps.exportDir, { recursive: true, mode: 0o700 });
      const file = path.join(deps.exportDir, `${id}.cvdsr`);
      fs.writeFileSync(file, archive, { mode: 0o600 });
      const token = randomBytes(32).toString('base64url');
      const s = await settings(tenant.id);
      const expiresAt = new Date(clock.now().getTime() + s.downloadTtlMinutes * 60_000).toISOString();
      await db.transaction().execute((trx) =>
        complete(trx, row, actor, {
          download_hash: sha256(token),
          download_expires_at: expiresAt,
          download_file: path.basename(file),
        }),
      );
      return {
        request: view(await load(tenant.id, id)),
        token,
        passphrase,
        expiresAt,
        bytes: archive.length,
      };
    },

    /** Serves an archive once: the token is spent and the file deleted before the bytes go out. */
    async download(token: string): Promise<Buffer> {
      const row = await db
        .selectFrom('dsr_requests')
        .selectAll()
        .where('download_hash', '=', sha256(token))
        .executeTakeFirst();
      if (!row?.download_file || !row.download_expires_at) throw new NotFoundError('Download');
      const spent = await db
        .updateTable('dsr_requests')
        .set({ download_hash: null, download_file: null, updated_at: clock.now().toISOString() })
        .where('id', '=', row.id)
        .where('download_hash', '=', sha256(token))
        .executeTakeFirst();
      const file = path.join(deps.exportDir, row.download_file);
      const expired = row.download_expires_at <= clock.now().toISOString();
      try {
        if (Number(spent.numUpdatedRows) !== 1 || expired) throw new NotFoundError('Download');
        const bytes = fs.readFileSync(file);
        await db.transaction().execute((trx) =>
          deps.audit.append(trx, {
            tenantId: row.tenant_id,
            actor: { type: 'system', id: 'dsr-download' },
            action: 'sensitive_export',
            target: { type: 'dsr_request', id: row.id },
            outcome: 'success',
            detail: { delivered: true },
          }),
        );
        return bytes;
      } finally {
        fs.rmSync(file, { force: true });
      }
    },

    /** Deletes archives whose links expired unused. */
    async sweepExpired(): Promise<number> {
      const rows = await db
        .selectFrom('dsr_requests')
        .select(['id', 'download_file'])
        .where('download_file', 'is not', null)
        .where('download_expires_at', '<=', clock.now().toISOString())
        .execute();
      for (const r of rows) {
        fs.rmSync(path.join(deps.exportDir, r.download_file!), { force: true });
        await db
          .updateTable('dsr_requests')
          .set({ download_hash: null, download_file: null })
          .where('id', '=', r.id)
          .execute();
      }
      return rows.length;
    },
  };
}

export type DsrService = ReturnType<typeof createDsrService>;

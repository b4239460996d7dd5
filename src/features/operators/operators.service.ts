import { createHmac } from 'node:crypto';
import { associatedData, keyVersionOf, open, seal } from '../../lib/crypto/aead.ts';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Tenant } from '../tenants/tenants.service.ts';
import { maskEmail } from '../vault/mask.ts';
import { normalizeEmail } from '../vault/normalize.ts';
import * as repo from './operators.repository.ts';
import { createOperatorInput, type CreateOperatorInput } from './operators.schema.ts';
import type { OperatorRole, OperatorStatus, OperatorsTable } from './operators.table.ts';

/** A staff member as services see it; the e-mail is decrypted only in memory. */
export interface Operator {
  readonly id: string;
  readonly tenantId: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: OperatorRole;
  readonly status: OperatorStatus;
  readonly createdAt: string;
}

/** Staff accounts of a tenant; sign-in credentials live in `auth`, permissions in `access`. */
export function createOperatorService(deps: {
  db: Db;
  keyring: Pick<Keyring, 'tenantKey' | 'indexKey'>;
  clock: Clock;
}) {
  const { db, keyring } = deps;
  const ad = (tenantId: string, column: string, id: string) =>
    associatedData(tenantId, 'operators', column, id);

  async function emailKey(tenantId: string, email: string): Promise<Buffer> {
    const key = await keyring.indexKey(tenantId, 'operators', 'email', 'exact');
    return createHmac('sha256', key).update(email, 'utf8').digest();
  }

  async function toOperator(row: OperatorsTable): Promise<Operator> {
    const reveal = async (column: string, ct: Buffer) => {
      const key = await keyring.tenantKey(row.tenant_id, 'restricted', keyVersionOf(ct));
      return open(key, ct, ad(row.tenant_id, column, row.id)).toString('utf8');
    };
    return {
      id: row.id,
      tenantId: row.tenant_id,
      email: await reveal('email', row.email_ct),
      name: row.name_ct ? await reveal('name', row.name_ct) : null,
      role: row.role,
      status: row.status,
      createdAt: row.created_at,
    };
  }

  return {
    /** Creates a pending operator (no credentials yet); `auth` completes enrollment. */
    async create(trx: Db, tenant: Tenant, input: CreateOperatorInput): Promise<Operator> {
      const v = parseInput(createOperatorInput, input);
      const email = normalizeEmail(v.email);
      const id = newId('op');
      const key = await keyring.tenantKey(tenant.id, 'restricted');
      const now = deps.clock.now().toISOString();
      const emailHash = await emailKey(tenant.id, email);
      if (await repo.findOperatorByEmailKey(trx, tenant.id, emailHash)) {
        throw new ConflictError('An operator with this e-mail already exists');
      }
      const row: OperatorsTable = {
        id,
        tenant_id: tenant.id,
        email_key: emailHash,
        email_ct: seal(key, Buffer.from(email), ad(tenant.id, 'email', id)),
        name_ct: v.name ? seal(key, Buffer.from(v.name), ad(tenant.id, 'name', id)) : null,
        role: v.role,
        status: 'pending',
        created_at: now,
        updated_at: now,
      };
      await repo.insertOperator(trx, row);
      return toOperator(row);
    },

    async getById(tenantId: string, id: string): Promise<Operator> {
      const row = await repo.findOperatorById(db, tenantId, id);
      if (!row) throw new NotFoundError('Operator');
      return toOperator(row);
    },

    /** The operator with this e-mail, or undefined (callers must not reveal which). */
    async findByEmail(tenantId: string, email: string): Promise<Operator | undefined> {
      const row = await repo.findOperatorByEmailKey(
        db,
        tenantId,
        await emailKey(tenantId, normalizeEmail(email)),
      );
      return row ? toOperator(row) : undefined;
    },

    async list(tenantId: string): Promise<Operator[]> {
      return Promise.all((await repo.listOperators(db, tenantId)).map(toOperator));
    },

    async setStatus(trx: Db, tenantId: string, id: string, status: OperatorStatus): Promise<void> {
      await repo.setOperatorStatus(trx, tenantId, id, status, deps.clock.now().toISOString());
    },
  };
}

export type OperatorService = ReturnType<typeof createOperatorService>;

/** What other staff see of an operator by default. */
export function maskOperator(operator: Operator) {
  return { id: operator.id, email: maskEmail(operator.email), role: operator.role, status: operator.status };
}

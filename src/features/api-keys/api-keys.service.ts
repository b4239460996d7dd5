import type { Clock } from '../../lib/clock.ts';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Logger } from '../../lib/logger.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { AuditActor } from '../audit/audit.schema.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Vendor, VendorService, ChangeContext } from '../vendors/vendors.service.ts';
import {
  createKeyInput,
  DEFAULT_FIELDS,
  FIELD_CATEGORY,
  VENDOR_FIELDS,
  type CreateKeyInput,
  type FieldMode,
  type Permission,
  type Resource,
  type VendorField,
} from './api-keys.schema.ts';
import * as repo from './api-keys.repository.ts';
import type { VendorApiKeysTable } from './api-keys.table.ts';
import { compileAllowlist, normalizeIp } from './ip-allowlist.ts';
import { createKeyRateLimiter } from './rate-limit.ts';
import { hashSecret, newToken, parseToken, sameHash } from './token.ts';

/** Why a vendor request was refused (stable values; in the error details and the audit detail). */
export type RefusalCode =
  | 'missing_key'
  | 'unknown_key'
  | 'bad_secret'
  | 'revoked'
  | 'expired'
  | 'ip_not_allowed'
  | 'vendor_suspended'
  | 'rate_limited'
  | 'scope';

/** A refused vendor request: 401 for the key itself, 403 for where or what, 429 for how often. */
export class VendorKeyError extends AppError {
  constructor(
    readonly refusal: RefusalCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    const status =
      refusal === 'rate_limited'
        ? 429
        : ['ip_not_allowed', 'vendor_suspended', 'scope'].includes(refusal)
          ? 403
          : 401;
    const code = status === 429 ? 'rate_limited' : status === 403 ? 'forbidden' : 'unauthenticated';
    super(status, code, message, { reason: refusal });
  }
}

/** A key as staff see it: never the secret or its hash. */
export interface ApiKeyView {
  readonly id: string;
  readonly prefix: string;
  readonly vendorId: string;
  readonly label: string;
  readonly scopes: Record<Resource, Permission>;
  readonly fields: Record<VendorField, FieldMode>;
  readonly ipAllowlist: string[];
  readonly ratePerMinute: number;
  readonly expiresAt: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
  readonly lastUsedIp: string | null;
  readonly status: 'active' | 'revoked' | 'expired';
}

/** Who a vendor request is, once its key passed every check. */
export interface VendorPrincipal {
  readonly keyId: string;
  readonly tenantId: string;
  readonly vendor: Vendor;
  readonly scopes: Readonly<Record<Resource, Permission>>;
  /** Effective modes: `clear` only where the vendor's agreement allows the category today. */
  readonly fields: Readonly<Record<VendorField, FieldMode>>;
  readonly ip: string;
  readonly requestId: string;
}

/** The field modes a key may use now: clear falls back to masked (body: omitted) outside the agreement. */
export function effectiveFields(
  fields: Record<VendorField, FieldMode>,
  vendor: Pick<Vendor, 'dataCategories'>,
): Record<VendorField, FieldMode> {
  const out = { ...fields };
  for (const f of VENDOR_FIELDS)
    if (out[f] === 'clear' && !vendor.dataCategories.includes(FIELD_CATEGORY[f]))
      out[f] = f === 'messageBody' ? 'omit' : 'masked';
  return out;
}

const TOUCH_EVERY_MS = 60_000;

/**
 * Vendor API keys: issued for one vendor of one tenant with scopes, a field allowlist, an IP allowlist,
 * a rate limit and a mandatory expiry; stored as keyed hashes; checked on every request, each refusal
 * audited (`authn_token_invalid` or `authz_fail`, actor `api_key`, with the client IP).
 */
export function createApiKeyService(deps: {
  db: Db;
  keyring: Pick<Keyring, 'tenantKey'>;
  vendors: Pick<VendorService, 'current' | 'currentOf'>;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
  logger: Logger;
}) {
  const { db, clock } = deps;
  const limiter = createKeyRateLimiter(() => clock.now().getTime());
  const touched = new Map<string, number>();

  function toView(row: VendorApiKeysTable): ApiKeyView {
    const now = clock.now().getTime();
    return {
      id: row.id,
      prefix: row.prefix,
      vendorId: row.vendor_id,
      label: row.label,
      scopes: JSON.parse(row.scopes) as ApiKeyView['scopes'],
      fields: JSON.parse(row.fields) as ApiKeyView['fields'],
      ipAllowlist: JSON.parse(row.ip_allowlist) as string[],
      ratePerMinute: row.rate_per_minute,
      expiresAt: row.expires_at,
      createdAt: row.created_at,
      createdBy: row.created_by,
      revokedAt: row.revoked_at,
      lastUsedAt: row.last_used_at,
      lastUsedIp: row.last_used_ip,
      status: row.revoked_at ? 'revoked' : Date.parse(row.expires_at) <= now ? 'expired' : 'active',
    };
  }

  /** Records a refusal in the key's tenant chain, then throws it. */
  async function refuse(
    row: Pick<VendorApiKeysTable, 'id' | 'tenant_id' | 'vendor_id'>,
    error: VendorKeyError,
    ip: string,
    requestId: string,
    extra: Record<string, unknown> = {},
  ): Promise<never> {
    const invalid = error.status === 401;
    try {
      await db.transaction().execute((trx) =>
        deps.audit.append(trx, {
          tenantId: row.tenant_id,
          actor: { type: 'api_key', id: row.id },
          action: invalid ? 'authn_token_invalid' : 'authz_fail',
          target: { type: 'vendor', id: row.vendor_id },
          outcome: 'denied',
          detail: { code: error.refusal, ...extra },
          clientIp: normalizeIp(ip),
          requestId,
        }),
      );
    } catch (auditError) {
      deps.logger.error({ err: auditError }, 'api keys: could not record a refused request');
    }
    throw error;
  }

  return {
    /**
     * Issues a key. The caller has passed Cedar `manageApiKeys` (which demands a fresh second factor).
     * The vendor must be active, in compliance and have a signed agreement; clear fields only where the
     * agreement allows the category. Returns the token once.
     */
    async create(
      tenantId: string,
      vendorId: string,
      input: CreateKeyInput,
      actor: AuditActor,
      ctx: ChangeContext = {},
    ): Promise<{ key: ApiKeyView; token: string }> {
      const v = parseInput(createKeyInput, input);
      const vendor = await deps.vendors.current(tenantId, vendorId);
      if (vendor.status !== 'active')
        throw new ConflictError(
          `The vendor is suspended (${vendor.suspendedReason ?? 'no reason'}): no new keys`,
        );
      if (!vendor.dpaSignedAt)
        throw new ConflictError('The vendor has no signed data-processing agreement: no keys until it does');
      const fields = { ...DEFAULT_FIELDS, ...v.fields } as Record<VendorField, FieldMode>;
      for (const f of VENDOR_FIELDS)
        if (fields[f] === 'clear' && !vendor.dataCategories.includes(FIELD_CATEGORY[f]))
          throw new ValidationError(
            `fields.${f}: clear needs the "${FIELD_CATEGORY[f]}" data category in the vendor's agreement`,
          );
      const index = await deps.keyring.tenantKey(tenantId, 'index');
      const id = newId('ak');
      const { token, prefix, secret } = newToken(v.env, id.slice(3));
      const now = clock.now();
      const row: VendorApiKeysTable = {
        id,
        tenant_id: tenantId,
        vendor_id: vendorId,
        label: v.label,
        prefix,
        secret_hash: hashSecret(index.key, id, secret),
        hash_key_version: index.id,
        scopes: JSON.stringify(v.scopes),
        fields: JSON.stringify(fields),
        ip_allowlist: JSON.stringify(v.ipAllowlist),
        rate_per_minute: v.ratePerMinute,
        expires_at: new Date(now.getTime() + v.expiresInDays * 86_400_000).toISOString(),
        created_by: actor.id,
        created_at: now.toISOString(),
        revoked_at: null,
        revoked_by: null,
        last_used_at: null,
        last_used_ip: null,
      };
      await db.transaction().execute(async (trx) => {
        await repo.insertKey(trx, row);
        await deps.audit.append(trx, {
          tenantId,
          actor,
          action: 'authn_token_created',
          target: { type: 'api_key', id },
          outcome: 'success',
          detail: { vendorId, scopes: v.scopes, fields, expiresAt: row.expires_at },
          ...ctx,
        });
      });
      return { key: toView(row), token };
    },

    async list(tenantId: string, vendorId?: string): Promise<ApiKeyView[]> {
      return (await repo.listKeys(db, tenantId, vendorId)).map(toView);
    },

    async get(tenantId: string, keyId: string): Promise<ApiKeyView> {
      const row = await repo.findKey(db, tenantId, keyId);
      if (!row) throw new NotFoundError('API key');
      return toView(row);
    },

    /** Revokes a key at once (idempotent); called by staff and by containment playbooks. */
    async revoke(
      tenantId: string,
      keyId: string,
      actor: AuditActor,
      ctx: ChangeContext = {},
    ): Promise<ApiKeyView> {
      return db.transaction().execute(async (trx) => {
        const row = await repo.findKey(trx, tenantId, keyId);
        if (!row) throw new NotFoundError('API key');
        if (row.revoked_at) return toView(row);
        const at = clock.now().toISOString();
        await repo.revokeKey(trx, tenantId, keyId, actor.id, at);
        await deps.audit.append(trx, {
          tenantId,
          actor,
          action: 'authn_token_revoked',
          target: { type: 'api_key', id: keyId },
          outcome: 'success',
          detail: { vendorId: row.vendor_id },
          ...ctx,
        });
        return toView({ ...row, revoked_at: at, revoked_by: actor.id });
      });
    },

    /**
     * Checks a presented `Authorization` header: the token, its keyed hash, revocation, expiry, the
     * vendor's state (suspending it first when its review or agreement lapsed), the IP allowlist and the
     * rate limit. Every refusal of a known key is audited; a token we cannot attribute is only logged.
     */
    async authenticate(header: string | undefined, ip: string, requestId: string): Promise<VendorPrincipal> {
      const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
      const parsed = presented ? parseToken(presented) : undefined;
      if (!parsed)
        throw new VendorKeyError(
          'missing_key',
          'A vendor API key is required: Authorization: Bearer cv_<env>_<id>_<secret>',
        );
      const found = await repo.findKeyWithVendor(db, parsed.keyId);
      if (!found) {
        deps.logger.warn({ keyId: parsed.keyId }, 'vendor api: unknown key id presented');
        throw new VendorKeyError('unknown_key', 'Unknown or invalid API key');
      }
      const { key } = found;
      const index = await deps.keyring.tenantKey(key.tenant_id, 'index', key.hash_key_version);
      if (!sameHash(hashSecret(index.key, key.id, parsed.secret), Buffer.from(key.secret_hash)))
        return refuse(key, new VendorKeyError('bad_secret', 'Unknown or invalid API key'), ip, requestId);
      if (key.revoked_at)
        return refuse(key, new VendorKeyError('revoked', 'This API key has been revoked'), ip, requestId);
      const now = clock.now();
      if (Date.parse(key.expires_at) <= now.getTime())
        return refuse(
          key,
          new VendorKeyError('expired', `This API key expired at ${key.expires_at}`),
          ip,
          requestId,
        );
      if (!key.prefix.startsWith(`cv_${parsed.env}_`))
        return refuse(key, new VendorKeyError('bad_secret', 'Unknown or invalid API key'), ip, requestId);
      const allowlist = JSON.parse(key.ip_allowlist) as string[];
      if (!compileAllowlist(allowlist).allows(ip))
        return refuse(
          key,
          new VendorKeyError('ip_not_allowed', "The client address is not in this key's IP allowlist"),
          ip,
          requestId,
        );
      const vendor = await deps.vendors.currentOf(found.vendor);
      if (vendor.status !== 'active')
        return refuse(
          key,
          new VendorKeyError(
            'vendor_suspended',
            `The vendor is suspended: ${vendor.suspendedReason ?? 'no reason given'}`,
          ),
          ip,
          requestId,
        );
      const rate = limiter.take(key.id, key.rate_per_minute);
      if (!rate.ok) {
        const error = new VendorKeyError(
          'rate_limited',
          `Rate limit of ${key.rate_per_minute} requests per minute reached`,
          rate.retryAfterSeconds,
        );
        if (rate.first) return refuse(key, error, ip, requestId);
        throw error;
      }
      const last = touched.get(key.id) ?? 0;
      if (now.getTime() - last > TOUCH_EVERY_MS) {
        touched.set(key.id, now.getTime());
        await repo.touchKey(db, key.id, now.toISOString(), normalizeIp(ip));
      }
      return {
        keyId: key.id,
        tenantId: key.tenant_id,
        vendor,
        scopes: JSON.parse(key.scopes) as VendorPrincipal['scopes'],
        fields: effectiveFields(JSON.parse(key.fields) as Record<VendorField, FieldMode>, vendor),
        ip: normalizeIp(ip),
        requestId,
      };
    },

    /** Refuses (and audits) a request outside the key's scopes. */
    async requireScope(p: VendorPrincipal, resource: Resource, need: 'read' | 'write'): Promise<void> {
      const has = p.scopes[resource] ?? 'none';
      if (has === 'write' || has === need) return;
      await refuse(
        { id: p.keyId, tenant_id: p.tenantId, vendor_id: p.vendor.id },
        new VendorKeyError(
          'scope',
          `This key has ${resource}:${has}; this request needs ${resource}:${need}`,
        ),
        p.ip,
        p.requestId,
        { resource, need },
      );
    },

    /** A key's row state for webhook delivery: active, unexpired, of an active vendor. */
    async usable(
      tenantId: string,
      keyId: string,
    ): Promise<{ key: ApiKeyView; vendor: Vendor } | { refused: string }> {
      const row = await repo.findKey(db, tenantId, keyId);
      if (!row) return { refused: 'unknown_key' };
      const key = toView(row);
      if (key.status !== 'active') return { refused: key.status };
      const vendor = await deps.vendors.current(tenantId, row.vendor_id);
      if (vendor.status !== 'active') return { refused: 'vendor_suspended' };
      return { key: { ...key, fields: effectiveFields(key.fields, vendor) }, vendor };
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;

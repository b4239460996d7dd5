import { associatedData, open, seal, type AeadKey } from '../../lib/crypto/aead.ts';
import type { Clock } from '../../lib/clock.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Db } from '../../db/database.ts';
import type { AuditActor } from '../audit/audit.schema.ts';
import type { AuditService } from '../audit/audit.service.ts';
import * as contactsRepo from '../contacts/contacts.repository.ts';
import type { Keyring } from '../keys/keyring.ts';
import * as repo from './consent.repository.ts';
import { consentSettings, type ConsentSettings, type ConsentSource } from './consent.schema.ts';
import { compileKeywords, type KeywordMatcher } from './keywords.ts';

export type ConsentPurpose = repo.ConsentPurpose;

/** One opt-in or opt-out, as it goes into the append-only ledger. */
export interface ConsentEventInput {
  readonly tenantId: string;
  readonly contactId: string;
  readonly purpose: ConsentPurpose;
  readonly event: 'opt_in' | 'opt_out';
  readonly source: ConsentSource;
  readonly at: Date;
  /** What proves it (the webhook item, the form, the import record): sealed under the customer key. */
  readonly evidence?: unknown;
  /** The customer's data key, needed when there is evidence. */
  readonly key?: AeadKey;
}

/** How long a process trusts a cached consent state; a local change drops it at once. */
export const CONSENT_CACHE_MS = 1_000;

const evidenceAd = (tenantId: string, id: string) =>
  associatedData(tenantId, 'consent_events', 'evidence', id);

/** Marketing needs an explicit opt-in; utility is allowed unless the customer opted out of it. */
function allowed(purpose: ConsentPurpose, state: string | undefined): boolean {
  return purpose === 'marketing' ? state === 'opted_in' : state !== 'opted_out';
}

/**
 * The consent ledger: every event appended to `consent_events` (evidence sealed under the customer's
 * key) and the derived state in `consent_state` moved in the same transaction, so "may we send?" is one
 * primary-key read, cached for at most {@link CONSENT_CACHE_MS}.
 */
export function createConsentLedger(deps: {
  db: Db;
  reader: Db;
  keyring: Pick<Keyring, 'openContactKey'>;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
  /**
   * Told, inside the recording transaction, of every marketing opt-out that changed a customer's
   * state, whatever its source (keyword, button, Meta's preferences, error 131050, import, agent),
   * so vendor webhooks hear about all of them exactly once.
   */
  onOptOut?: (trx: Db, tenantId: string, contactId: string) => Promise<void>;
}) {
  const { db, clock } = deps;
  const cache = new Map<string, { ok: boolean; until: number }>();
  // Keys changed inside a transaction that may not have committed yet are not cached for a moment.
  const unsettled = new Map<string, number>();
  const settings = new Map<string, { value: ConsentSettings; matcher: KeywordMatcher; until: number }>();

  async function record(trx: Db, input: ConsentEventInput): Promise<{ eventId: string; changed: boolean }> {
    const id = newId('ce');
    const at = input.at.toISOString();
    const now = clock.now().toISOString();
    await repo.insertEvent(trx, {
      id,
      tenant_id: input.tenantId,
      contact_id: input.contactId,
      purpose: input.purpose,
      event: input.event,
      source: input.source,
      evidence_ct:
        input.evidence !== undefined && input.key
          ? seal(input.key, Buffer.from(JSON.stringify(input.evidence)), evidenceAd(input.tenantId, id))
          : null,
      at,
      created_at: now,
    });
    const changed = await repo.applyState(trx, {
      contact_id: input.contactId,
      purpose: input.purpose,
      tenant_id: input.tenantId,
      state: input.event === 'opt_in' ? 'opted_in' : 'opted_out',
      source: input.source,
      event_id: id,
      at,
      updated_at: now,
    });
    forget(input.contactId, input.purpose);
    if (changed && input.event === 'opt_out' && input.purpose === 'marketing')
      await deps.onOptOut?.(trx, input.tenantId, input.contactId);
    return { eventId: id, changed };
  }

  function forget(contactId: string, purpose: ConsentPurpose): void {
    const k = `${contactId}|${purpose}`;
    cache.delete(k);
    unsettled.set(k, Date.now() + CONSENT_CACHE_MS);
  }

  /** Fresh from the database (inside `db` when given): what the send path checks. */
  async function isAllowed(tenantId: string, contactId: string, purpose: ConsentPurpose, on: Db = db) {
    const row = await repo.findState(on, tenantId, contactId, purpose);
    return allowed(purpose, row?.state);
  }

  async function loadSettings(tenantId: string, on: Db = deps.reader) {
    const hit = settings.get(tenantId);
    if (hit && hit.until > Date.now()) return hit;
    const value = consentSettings.parse((await repo.findSettings(on, tenantId, 'consent')) ?? {});
    const entry = {
      value,
      matcher: compileKeywords(value.optOutKeywords, value.optInKeywords),
      until: Date.now() + 5_000,
    };
    settings.set(tenantId, entry);
    return entry;
  }

  return {
    record,
    isAllowed,

    /**
     * May this customer be sent a message of `purpose` now? Marketing needs an opt-in that no later
     * opt-out overrides. One indexed read, cached for at most a second (dropped on any local change).
     * @example if (!(await consent.canSend(tenant.id, contact.id, 'marketing'))) skip(contact);
     */
    async canSend(tenantId: string, contactId: string, purpose: ConsentPurpose): Promise<boolean> {
      const k = `${contactId}|${purpose}`;
      const now = Date.now();
      const hit = cache.get(k);
      if (hit && hit.until > now) return hit.ok;
      const ok = await isAllowed(tenantId, contactId, purpose, deps.reader);
      const settling = unsettled.get(k);
      if (settling !== undefined && settling > now) return ok;
      unsettled.delete(k);
      if (cache.size > 100_000) cache.clear();
      cache.set(k, { ok, until: now + CONSENT_CACHE_MS });
      return ok;
    },

    /** The tenant's consent settings and compiled keyword matcher (cached for a few seconds). */
    settings: loadSettings,

    async saveSettings(tenantId: string, input: unknown): Promise<ConsentSettings> {
      const value = parseInput(consentSettings, input);
      await repo.saveSettings(db, tenantId, 'consent', value, clock.now().toISOString());
      settings.delete(tenantId);
      return value;
    },

    /**
     * A customer's whole consent history with its evidence opened (a read of personal data: audited).
     */
    async history(tenantId: string, contactId: string, actor: AuditActor, requestId?: string) {
      const contact = await contactsRepo.findById(deps.reader, tenantId, contactId);
      if (!contact?.key_wrapped) throw new NotFoundError('Contact');
      const key = await deps.keyring.openContactKey(
        tenantId,
        contactId,
        contact.key_version,
        contact.key_wrapped,
      );
      const rows = await repo.listEvents(deps.reader, tenantId, contactId);
      const events = rows.map((r) => ({
        id: r.id,
        purpose: r.purpose,
        event: r.event,
        source: r.source,
        at: r.at,
        evidence:
          r.evidence_ct === null
            ? null
            : (JSON.parse(open(key, r.evidence_ct, evidenceAd(tenantId, r.id)).toString('utf8')) as unknown),
      }));
      const state = Object.fromEntries(
        await Promise.all(
          (['marketing', 'utility'] as const).map(async (p) => [p, await isAllowed(tenantId, contactId, p)]),
        ),
      ) as Record<ConsentPurpose, boolean>;
      await db.transaction().execute((trx) =>
        deps.audit.append(trx, {
          tenantId,
          actor,
          action: 'sensitive_read',
          target: { type: 'consent', id: contactId },
          outcome: 'success',
          requestId,
        }),
      );
      return { contactId, canSend: state, events };
    },

    /** Records imported opt-ins (or opt-outs) with their evidence, one transaction, audited per customer. */
    async importEvents(
      tenantId: string,
      items: ReadonlyArray<{
        contactId: string;
        purpose: ConsentPurpose;
        event: 'opt_in' | 'opt_out';
        at: Date;
        evidence: unknown;
      }>,
      actor: AuditActor,
      source: ConsentSource = 'import',
    ): Promise<{ recorded: number }> {
      const keys = new Map<string, AeadKey>();
      for (const item of items) {
        if (keys.has(item.contactId)) continue;
        const contact = await contactsRepo.findById(deps.reader, tenantId, item.contactId);
        if (!contact?.key_wrapped) throw new NotFoundError('Contact');
        keys.set(
          item.contactId,
          await deps.keyring.openContactKey(tenantId, contact.id, contact.key_version, contact.key_wrapped),
        );
      }
      await db.transaction().execute(async (trx) => {
        for (const item of items)
          await record(trx, { ...item, tenantId, source, key: keys.get(item.contactId)! });
        for (const contactId of keys.keys())
          await deps.audit.append(trx, {
            tenantId,
            actor,
            action: 'sensitive_create',
            target: { type: 'consent', id: contactId },
            outcome: 'success',
            detail: { source, events: items.filter((i) => i.contactId === contactId).length },
          });
      });
      return { recorded: items.length };
    },
  };
}

export type ConsentLedger = ReturnType<typeof createConsentLedger>;

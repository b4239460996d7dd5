import type { Clock } from '../../lib/clock.ts';
import { keyVersionOf } from '../../lib/crypto/aead.ts';
import { newId } from '../../lib/ids.ts';
import type { Db } from '../../db/database.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Operator } from '../operators/operators.service.ts';
import * as repo from './credentials.repository.ts';
import type { AuthPasskeysTable } from './auth.table.ts';
import {
  hashRecoveryCode,
  newRecoveryCodes,
  normalizeRecoveryCode,
  recoveryCodeKey,
} from './recovery-codes.ts';
import { newTotpSeed, openSeed, sealSeed, totpProvisioning, totpStep } from './totp.ts';
import type { StoredPasskey, Webauthn } from './webauthn.ts';

export type FactorMethod = 'webauthn' | 'totp' | 'recovery';

/** Outcome of a second-factor check, with a reason class for the audit log. */
export type FactorResult = { ok: true; detail?: string } | { ok: false; reason: string };

const toStored = (row: AuthPasskeysTable): StoredPasskey => ({
  credentialId: row.credential_id,
  publicKey: row.public_key,
  counter: Number(row.counter),
  transports: JSON.parse(row.transports) as string[],
});

/** An operator's second factors: TOTP, passkeys and recovery codes, and checks of each. */
export function createFactors(deps: {
  db: Db;
  keyring: Pick<Keyring, 'tenantKey'>;
  clock: Clock;
  webauthn: Webauthn;
  issuer: string;
}) {
  const { db, keyring, webauthn } = deps;
  const iso = () => deps.clock.now().toISOString();

  return {
    /** Which factors can sign this operator in now (TOTP only once confirmed). */
    async methods(op: Operator): Promise<FactorMethod[]> {
      const methods: FactorMethod[] = [];
      if ((await repo.listPasskeys(db, op.tenantId, op.id)).length > 0) methods.push('webauthn');
      if ((await repo.findTotp(db, op.tenantId, op.id))?.confirmed_at) methods.push('totp');
      if ((await repo.recoveryCodeVersions(db, op.tenantId, op.id)).length > 0) methods.push('recovery');
      return methods;
    },

    /** Stores a new, unconfirmed seed (replacing any earlier one) and returns what the app needs. */
    async beginTotp(op: Operator): Promise<{ secret: string; uri: string }> {
      const seed = newTotpSeed();
      const key = await keyring.tenantKey(op.tenantId, 'restricted');
      await repo.upsertTotp(db, {
        operator_id: op.id,
        tenant_id: op.tenantId,
        seed_ct: sealSeed(key, seed, op.tenantId, op.id),
        last_step: null,
        confirmed_at: null,
        created_at: iso(),
      });
      const provisioning = totpProvisioning(seed, deps.issuer, op.email);
      seed.fill(0);
      return provisioning;
    },

    /**
     * Checks a TOTP code. `confirming` checks the pending seed of an enrollment and confirms it.
     * A code is accepted only if its time step is later than the last accepted one.
     */
    async verifyTotp(op: Operator, code: string, confirming = false): Promise<FactorResult> {
      const row = await repo.findTotp(db, op.tenantId, op.id);
      if (!row || (row.confirmed_at === null) !== confirming) return { ok: false, reason: 'totp_not_set' };
      const key = await keyring.tenantKey(op.tenantId, 'restricted', keyVersionOf(row.seed_ct));
      const seed = openSeed(key, row.seed_ct, op.tenantId, op.id);
      const step = totpStep(seed, code, deps.clock.now());
      seed.fill(0);
      if (step === null) return { ok: false, reason: 'totp_invalid' };
      const fresh = await repo.advanceTotpStep(db, op.tenantId, op.id, step, iso(), confirming);
      return fresh ? { ok: true } : { ok: false, reason: 'totp_replay' };
    },

    async listPasskeys(op: Operator) {
      return (await repo.listPasskeys(db, op.tenantId, op.id)).map((p) => ({
        id: p.id,
        name: p.name,
        deviceType: p.device_type,
        backedUp: p.backed_up === 1,
        createdAt: p.created_at,
        lastUsedAt: p.last_used_at,
      }));
    },

    async registrationOptions(op: Operator) {
      const existing = (await repo.listPasskeys(db, op.tenantId, op.id)).map(toStored);
      return webauthn.registrationOptions(
        { id: op.id, name: op.email, displayName: op.name ?? op.email },
        existing,
      );
    },

    /** Verifies a registration and stores the passkey; the new passkey's id, or undefined. */
    async addPasskey(trx: Db, op: Operator, response: unknown, challenge: string, name: string) {
      const credential = await webauthn.verifyRegistration(response, challenge);
      if (!credential) return undefined;
      const id = newId('pk');
      await repo.insertPasskey(trx, {
        id,
        tenant_id: op.tenantId,
        operator_id: op.id,
        credential_id: credential.credentialId,
        public_key: credential.publicKey,
        counter: credential.counter,
        transports: JSON.stringify(credential.transports),
        device_type: credential.deviceType,
        backed_up: credential.backedUp ? 1 : 0,
        name,
        created_at: iso(),
        last_used_at: null,
      });
      return id;
    },

    async authenticationOptions(op: Operator) {
      return webauthn.authenticationOptions((await repo.listPasskeys(db, op.tenantId, op.id)).map(toStored));
    },

    /** Checks an assertion against the operator's own passkeys and moves the signature counter. */
    async verifyPasskey(op: Operator, response: unknown, challenge: string): Promise<FactorResult> {
      const credentialId = (response as { id?: unknown }).id;
      const row = (await repo.listPasskeys(db, op.tenantId, op.id)).find(
        (p) => p.credential_id === credentialId,
      );
      if (!row) return { ok: false, reason: 'webauthn_unknown_credential' };
      const counter = await webauthn.verifyAuthentication(response, challenge, toStored(row));
      if (counter === undefined) return { ok: false, reason: 'webauthn_invalid' };
      const moved = await repo.advancePasskeyCounter(db, row.id, Number(row.counter), counter, iso());
      return moved ? { ok: true, detail: row.id } : { ok: false, reason: 'webauthn_replay' };
    },

    renamePasskey: (op: Operator, id: string, name: string) =>
      repo.renamePasskey(db, op.tenantId, op.id, id, name),
    removePasskey: (trx: Db, op: Operator, id: string) => repo.deletePasskey(trx, op.tenantId, op.id, id),

    /** Ten new codes (the old ones stop working); shown once, stored only as keyed hashes. */
    async newRecoveryCodes(trx: Db, op: Operator): Promise<string[]> {
      const tenantKey = await keyring.tenantKey(op.tenantId, 'restricted');
      const key = recoveryCodeKey(tenantKey.key);
      const codes = newRecoveryCodes();
      await repo.replaceRecoveryCodes(
        trx,
        op.tenantId,
        op.id,
        codes.map((code) => ({
          id: newId('rc'),
          tenant_id: op.tenantId,
          operator_id: op.id,
          code_hash: hashRecoveryCode(key, op.tenantId, op.id, normalizeRecoveryCode(code)!),
          key_version: tenantKey.id,
          used_at: null,
          created_at: iso(),
        })),
      );
      key.fill(0);
      return codes;
    },

    /** Uses one recovery code; true only the first time it is presented. */
    async useRecoveryCode(op: Operator, input: string): Promise<FactorResult> {
      const code = normalizeRecoveryCode(input);
      if (!code) return { ok: false, reason: 'recovery_invalid' };
      for (const version of await repo.recoveryCodeVersions(db, op.tenantId, op.id)) {
        const key = recoveryCodeKey((await keyring.tenantKey(op.tenantId, 'restricted', version)).key);
        const hash = hashRecoveryCode(key, op.tenantId, op.id, code);
        key.fill(0);
        if (await repo.useRecoveryCode(db, op.tenantId, op.id, hash, iso())) return { ok: true };
      }
      return { ok: false, reason: 'recovery_invalid' };
    },
  };
}

export type Factors = ReturnType<typeof createFactors>;

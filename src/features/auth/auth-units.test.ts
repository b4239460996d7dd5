import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Actor } from '../../http/actor.ts';
import { ValidationError } from '../../lib/errors.ts';
import { loadBlocklist } from './blocklist.ts';
import { backoffSeconds, LOCKOUT_POLICY } from './lockout.ts';
import { assertAcceptablePassword } from './password-policy.ts';
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from './recovery-codes.ts';
import { requireFreshMfa } from './step-up.ts';
import { newTotpSeed, totpCode, totpStep } from './totp.ts';

const reason = async (password: string, words: string[] = []) => {
  try {
    await assertAcceptablePassword(password, words);
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    return String(error.details?.reason);
  }
};

describe('passwords', () => {
  test('the shipped blocklist is a real list of over 400,000 common and breached passwords', async () => {
    const list = await loadBlocklist();
    assert.ok(list.size > 400_000, `${list.size} entries`);
    for (const common of ['password1', 'iloveyou1', 'p@ssw0rd', 'qwertyuiop', 'password123'])
      assert.ok(list.has(common), common);
    let falsePositives = 0;
    for (let i = 0; i < 10_000; i++) if (list.has(`zq${i}-unlikely-${i * 7919}-phrase`)) falsePositives++;
    assert.ok(falsePositives <= 2);
  });

  test('the rules: 8 to 512 code points, no composition rules, no breached or context-only passwords', async () => {
    assert.equal(await reason('short1!'), 'too_short');
    assert.equal(await reason('x'.repeat(513) + 'y'), 'too_long');
    assert.equal(await reason('aaaaaaaaaaaa'), 'repetitive');
    assert.equal(await reason('Password123'), 'breached');
    assert.equal(await reason('acme2024!', ['acme']), 'context');
    assert.equal(await reason('ChatVault2031', []), 'context');
    assert.equal(await reason('acmepassword', ['acme']), 'context');
    assert.equal(await reason('correct horse battery staple'), 'ok');
    assert.equal(await reason('lowercaseonlybutlong'), 'ok');
    assert.equal(await reason('🔑🔑🔐🔒 ключ密码'), 'ok', 'Unicode counts by code point');
    assert.equal(await reason('ℌ𝔢𝔩𝔩𝔬-𝔴𝔬𝔯𝔩𝔡-ℌ𝔢𝔩𝔩𝔬'), 'ok');
    assert.equal(await reason('x'.repeat(100) + 'yz'), 'ok', 'long passwords are allowed');
  });
});

describe('TOTP', () => {
  test('a code is valid within ±1 step of 30 s and not beyond', () => {
    const seed = newTotpSeed();
    const at = new Date('2031-01-01T00:00:15Z');
    const step = Math.floor(at.getTime() / 30_000);
    assert.equal(totpStep(seed, totpCode(seed, at), at), step);
    assert.equal(totpStep(seed, totpCode(seed, new Date(at.getTime() - 30_000)), at), step - 1);
    assert.equal(totpStep(seed, totpCode(seed, new Date(at.getTime() + 30_000)), at), step + 1);
    assert.equal(totpStep(seed, totpCode(seed, new Date(at.getTime() + 90_000)), at), null);
    assert.equal(totpStep(seed, 'abcdef', at), null);
  });
});

describe('recovery codes', () => {
  test('ten distinct 125-bit codes; typing variants normalise; hashes are keyed and bound to the operator', () => {
    const codes = newRecoveryCodes();
    assert.equal(new Set(codes).size, 10);
    for (const code of codes) assert.match(code, /^([0-9A-HJKMNP-TV-Z]{5}-){4}[0-9A-HJKMNP-TV-Z]{5}$/);
    const bare = normalizeRecoveryCode(codes[0]!)!;
    assert.equal(normalizeRecoveryCode(` ${codes[0]!.toLowerCase().replace(/-/g, ' ')} `), bare);
    assert.equal(normalizeRecoveryCode('too-short'), undefined);
    const key = Buffer.alloc(32, 7);
    assert.notDeepEqual(hashRecoveryCode(key, 't', 'op_a', bare), hashRecoveryCode(key, 't', 'op_b', bare));
    assert.notDeepEqual(
      hashRecoveryCode(key, 't', 'op_a', bare),
      hashRecoveryCode(Buffer.alloc(32, 8), 't', 'op_a', bare),
    );
  });
});

describe('guessing limits and step-up', () => {
  test('backoff: free attempts, then 30 s doubling up to one hour', () => {
    const waits = [1, 4, 5, 6, 7, 12, 50, 99].map((n) => backoffSeconds(n));
    assert.deepEqual(waits, [0, 0, 30, 60, 120, 3600, 3600, 3600]);
    assert.equal(LOCKOUT_POLICY.hardStop, 100);
  });

  test('requireFreshMfa accepts a second factor of the last five minutes only', () => {
    const now = new Date('2031-01-01T12:00:00Z');
    const actor = (ageSeconds?: number): Actor => ({
      type: 'operator',
      tenantId: 'tn_x',
      id: 'op_x',
      role: 'admin',
      ip: '127.0.0.1',
      requestId: 'rq_x',
      ...(ageSeconds === undefined
        ? {}
        : { mfaVerifiedAt: new Date(now.getTime() - ageSeconds * 1000).toISOString() }),
    });
    requireFreshMfa(actor(10), 300, now);
    requireFreshMfa(actor(299), 300, now);
    for (const a of [actor(301), actor()]) {
      assert.throws(
        () => requireFreshMfa(a, 300, now),
        (e: Error & { code?: string; status?: number }) => e.code === 'step_up_required' && e.status === 401,
      );
    }
    requireFreshMfa(actor(600), 900, now);
  });
});

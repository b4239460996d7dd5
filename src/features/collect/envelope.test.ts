import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { DecryptionError } from '../../lib/errors.ts';
import { openEnvelope, sealEnvelope } from './envelope.ts';

const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = pair.publicKey.export({ format: 'der', type: 'spki' });

test('an envelope sealed to the collect public key opens with the private key for the same link only', () => {
  const plain = Buffer.from(JSON.stringify({ id_number: '11010519491231002X' }));
  const env = sealEnvelope(spki, 1, 'lk_a', plain);
  assert.deepEqual(openEnvelope(pair.privateKey, 'lk_a', env), plain);
  assert.throws(() => openEnvelope(pair.privateKey, 'lk_b', env), DecryptionError);
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  assert.throws(() => openEnvelope(other.privateKey, 'lk_a', env), DecryptionError);
  const ct = Buffer.from(env.ct, 'base64');
  ct[0]! ^= 1;
  assert.throws(
    () => openEnvelope(pair.privateKey, 'lk_a', { ...env, ct: ct.toString('base64') }),
    DecryptionError,
  );
  assert.throws(
    () => openEnvelope(pair.privateKey, 'lk_a', { ...env, epk: Buffer.alloc(65, 4).toString('base64') }),
    DecryptionError,
  );
});

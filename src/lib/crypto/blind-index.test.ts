import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ValidationError } from '../errors.ts';
import {
  LAST4_KEYSPACE_BITS,
  blindIndex,
  coincidences,
  lastFourDigits,
  planPhoneIndexes,
  totalIndexBits,
} from './blind-index.ts';

// RFC 4231 HMAC-SHA256 vectors whose data is text (cases 1, 2, 6, 7).
const rfc4231 = [
  {
    key: Buffer.alloc(20, 0x0b),
    data: 'Hi There',
    mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  },
  {
    key: Buffer.from('Jefe'),
    data: 'what do ya want for nothing?',
    mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  },
  {
    key: Buffer.alloc(131, 0xaa),
    data: 'Test Using Larger Than Block-Size Key - Hash Key First',
    mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  },
  {
    key: Buffer.alloc(131, 0xaa),
    data:
      'This is a test using a larger than block-size key and a larger than block-size data. ' +
      'The key needs to be hashed before being used by the HMAC algorithm.',
    mac: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  },
];

test('the HMAC-SHA256 primitive matches RFC 4231, and a 32-bit index is the first 4 bytes', () => {
  for (const v of rfc4231) {
    assert.equal(createHmac('sha256', v.key).update(v.data).digest('hex'), v.mac);
    assert.equal(blindIndex(v.key, v.data, 32), Number.parseInt(v.mac.slice(0, 8), 16));
  }
});

test('an 8-bit index equals the first MAC byte and shorter indexes keep the leading bits', () => {
  const key = randomBytes(32);
  for (let i = 0; i < 200; i++) {
    const value = `+86138${String(i).padStart(8, '0')}`;
    const first = createHmac('sha256', key).update(value).digest().readUInt32BE(0);
    assert.equal(blindIndex(key, value, 8), first >>> 24);
    for (const bits of [1, 9, 16, 31]) {
      const index = blindIndex(key, value, bits);
      assert.ok(index >= 0 && index < 2 ** bits);
      assert.equal(index, first >>> (32 - bits));
    }
  }
});

test('blind indexes depend on the key and reject bit lengths outside 1..32', () => {
  assert.notEqual(blindIndex(Buffer.alloc(32, 1), 'x', 32), blindIndex(Buffer.alloc(32, 2), 'x', 32));
  for (const bits of [0, 33, 1.5, Number.NaN]) {
    assert.throws(() => blindIndex(Buffer.alloc(32), 'x', bits), RangeError);
  }
});

test('the sizing rule 2 <= C < sqrt(R) holds for single and phone plans across row counts', () => {
  for (const rows of [8, 15, 16, 1e3, 1e4, 1e6, 1e8, 2 ** 33]) {
    const total = totalIndexBits(rows);
    const single = coincidences(rows, [total]);
    assert.ok(single >= 2 && single < Math.sqrt(rows), `single plan for R=${rows}: C=${single}`);
    assert.ok(coincidences(rows, [total + 1]) < 2, `T is the largest for R=${rows}`);

    const plan = planPhoneIndexes(rows);
    assert.ok(plan.fullBits >= 1 && plan.last4Bits >= 1 && plan.last4Bits <= 13);
    const c = coincidences(rows, [plan.fullBits, Math.min(plan.last4Bits, LAST4_KEYSPACE_BITS)]);
    assert.ok(c >= 2 && c < Math.sqrt(rows), `phone plan for R=${rows}: C=${c}`);
  }
});

test('a million expected rows gives 18 bits, split 9 full + 9 last-4, about 3.8 candidates', () => {
  assert.equal(totalIndexBits(1e6), 18);
  assert.deepEqual(planPhoneIndexes(1e6), { fullBits: 9, last4Bits: 9 });
  assert.equal(coincidences(1e6, [9, 9]), 1e6 / 2 ** 18);
  assert.deepEqual(planPhoneIndexes(1e8), { fullBits: 12, last4Bits: 13 });
});

test('row counts too small (or invalid) for any index size are refused', () => {
  for (const rows of [0, 1, 3, 4, 7, -5, 1.5, Number.NaN, 2 ** 34]) {
    assert.throws(() => totalIndexBits(rows), RangeError, `R=${rows}`);
    assert.throws(() => planPhoneIndexes(rows), RangeError, `R=${rows}`);
  }
});

test('lastFourDigits keeps only the last four digits and refuses shorter numbers', () => {
  assert.equal(lastFourDigits('+8613812345678'), '5678');
  assert.equal(lastFourDigits('+1 (555) 010-0199'), '0199');
  assert.equal(lastFourDigits('1234'), '1234');
  assert.throws(() => lastFourDigits('+12-3'), ValidationError);
  assert.throws(() => lastFourDigits(''), ValidationError);
});

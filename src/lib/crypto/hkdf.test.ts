import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hkdf } from './hkdf.ts';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const range = (from: number, to: number): Buffer =>
  Buffer.from(Array.from({ length: to - from + 1 }, (_, i) => from + i));

// RFC 5869, appendix A, test cases 1-3 (SHA-256).
test('RFC 5869 test case 1: basic test with salt and info', () => {
  const okm = hkdf(Buffer.alloc(22, 0x0b), range(0xf0, 0xf9), 42, range(0x00, 0x0c));
  assert.equal(
    okm.toString('hex'),
    '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  );
});

test('RFC 5869 test case 2: longer inputs and outputs', () => {
  const okm = hkdf(range(0x00, 0x4f), range(0xb0, 0xff), 82, range(0x60, 0xaf));
  assert.equal(
    okm.toString('hex'),
    'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c' +
      '59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71' +
      'cc30c58179ec3e87c14c01d5c1f3434f1d87',
  );
});

test('RFC 5869 test case 3: zero-length salt and info (the defaults)', () => {
  const okm = hkdf(Buffer.alloc(22, 0x0b), '', 42);
  assert.equal(
    okm.toString('hex'),
    '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  );
});

test('a string info is its UTF-8 bytes, and the default length is 32 bytes', () => {
  const ikm = hex('00'.repeat(32));
  assert.deepEqual(hkdf(ikm, 'contacts|phone'), hkdf(ikm, Buffer.from('contacts|phone', 'utf8')));
  assert.equal(hkdf(ikm, 'x').length, 32);
  assert.notDeepEqual(hkdf(ikm, 'a'), hkdf(ikm, 'b'));
});

import assert from 'node:assert/strict';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { DecryptionError } from '../errors.ts';
import {
  AEAD_FORMAT_VERSION,
  AEAD_OVERHEAD,
  type AeadKey,
  associatedData,
  keyVersionOf,
  open,
  seal,
} from './aead.ts';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** Frames a raw GCM result (nonce, ciphertext, tag) in the ChatVault layout. */
function frame(keyId: number, nonce: Buffer, body: Buffer, tag: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header[0] = AEAD_FORMAT_VERSION;
  header.writeUInt32BE(keyId, 1);
  return Buffer.concat([header, nonce, body, tag]);
}

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", AES-256 test cases 14-16.
const K15 = 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308';
const P15 =
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' +
  '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const C15 =
  '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
  '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad';
const vectors = [
  {
    name: '14',
    key: '00'.repeat(32),
    iv: '00'.repeat(12),
    aad: '',
    pt: '00'.repeat(16),
    ct: 'cea7403d4d606b6e074ec5d3baf39d18',
    tag: 'd0d1c8a799996bf0265b98b5d48ab919',
  },
  {
    name: '15',
    key: K15,
    iv: 'cafebabefacedbaddecaf888',
    aad: '',
    pt: P15,
    ct: C15,
    tag: 'b094dac5d93471bdec1a502270e3cc6c',
  },
  {
    name: '16',
    key: K15,
    iv: 'cafebabefacedbaddecaf888',
    aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    pt: P15.slice(0, 120),
    ct: C15.slice(0, 120),
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
];

const key: AeadKey = { id: 42, key: randomBytes(32) };
const ad = associatedData('tenant-a', 'contacts', 'phone', 'row-1');
const phone = Buffer.from('{"phone":"+8613812345678"}');

function assertDecryptionError(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DecryptionError, `expected DecryptionError, got ${String(err)}`);
    if (message) assert.match(err.message, message);
    return true;
  });
}

for (const v of vectors) {
  test(`open decrypts GCM spec test case ${v.name} framed in the ChatVault layout`, () => {
    const framed = frame(9, hex(v.iv), hex(v.ct), hex(v.tag));
    const plaintext = open({ id: 9, key: hex(v.key) }, framed, hex(v.aad));
    assert.equal(plaintext.toString('hex'), v.pt);
  });

  test(`open rejects GCM spec test case ${v.name} with a corrupted tag`, () => {
    const tag = hex(v.tag);
    tag[15]! ^= 1;
    assertDecryptionError(() =>
      open({ id: 9, key: hex(v.key) }, frame(9, hex(v.iv), hex(v.ct), tag), hex(v.aad)),
    );
  });
}

test('seal writes the documented layout, decryptable by plain node:crypto', () => {
  const ct = seal(key, phone, ad);
  assert.equal(ct.length, phone.length + AEAD_OVERHEAD);
  assert.equal(ct[0], AEAD_FORMAT_VERSION);
  assert.equal(ct.readUInt32BE(1), 42);
  const decipher = createDecipheriv('aes-256-gcm', key.key, ct.subarray(5, 17));
  decipher.setAAD(ad);
  decipher.setAuthTag(ct.subarray(ct.length - 16));
  const pt = Buffer.concat([decipher.update(ct.subarray(17, ct.length - 16)), decipher.final()]);
  assert.deepEqual(pt, phone);
});

test('a sealed value opens to the same bytes, including empty and large plaintexts', () => {
  for (const pt of [Buffer.alloc(0), phone, randomBytes(100_000)]) {
    assert.deepEqual(open(key, seal(key, pt, ad), ad), pt);
  }
});

test('a ciphertext with any single bit flipped fails to open', () => {
  const ct = seal(key, phone, ad);
  for (let byte = 0; byte < ct.length; byte++) {
    for (let bit = 0; bit < 8; bit++) {
      const bad = Buffer.from(ct);
      bad[byte]! ^= 1 << bit;
      assert.throws(() => open(key, bad, ad), DecryptionError);
    }
  }
});

test('a ciphertext moved to another row, column or tenant fails to open', () => {
  const ct = seal(key, phone, ad);
  for (const other of [
    associatedData('tenant-a', 'contacts', 'phone', 'row-2'),
    associatedData('tenant-a', 'contacts', 'email', 'row-1'),
    associatedData('tenant-a', 'messages', 'phone', 'row-1'),
    associatedData('tenant-b', 'contacts', 'phone', 'row-1'),
    Buffer.alloc(0),
  ]) {
    assertDecryptionError(() => open(key, ct, other));
  }
});

test('associated data is unambiguous: shifting text between parts changes the encoding', () => {
  assert.notDeepEqual(associatedData('ab', 'c', 'd', 'e'), associatedData('a', 'bc', 'd', 'e'));
  assert.notDeepEqual(associatedData('a', '', 'd', 'e'), associatedData('', 'a', 'd', 'e'));
  assert.deepEqual(associatedData('t', 'ü', '', 'r'), hex('0001740002c3bc0000000172'));
});

test('opening with the wrong key version fails with a message naming both versions', () => {
  const ct = seal(key, phone, ad);
  const other: AeadKey = { id: 43, key: key.key };
  assertDecryptionError(() => open(other, ct, ad), /wrong key version.*version 42, not 43/);
});

test('the right key version with the wrong key bytes fails to open', () => {
  const ct = seal(key, phone, ad);
  assertDecryptionError(() => open({ id: 42, key: randomBytes(32) }, ct, ad));
});

test('a truncated ciphertext fails to open, and a too-short one is reported as malformed', () => {
  const ct = seal(key, phone, ad);
  for (let length = 0; length < ct.length; length++) {
    const cut = ct.subarray(0, length);
    assertDecryptionError(() => open(key, cut, ad), length < AEAD_OVERHEAD ? /malformed/ : undefined);
  }
});

test('keyVersionOf reads the key id and rejects unknown formats', () => {
  const ct = seal({ id: 0xfffffffe, key: key.key }, phone, ad);
  assert.equal(keyVersionOf(ct), 0xfffffffe);
  assert.equal(keyVersionOf(new Uint8Array(ct)), 0xfffffffe);
  const bad = Buffer.from(ct);
  bad[0] = 0x02;
  assertDecryptionError(() => keyVersionOf(bad), /malformed/);
  assertDecryptionError(() => keyVersionOf(new Uint8Array(10)), /malformed/);
});

test('nonces never repeat across 10,000 seals (more than two nonce pools)', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) seen.add(seal(key, phone, ad).toString('hex', 5, 17));
  assert.equal(seen.size, 10_000);
});

test('seal rejects keys that are not 32 bytes or whose id is not a u32', () => {
  assert.throws(() => seal({ id: 1, key: randomBytes(16) }, phone, ad), RangeError);
  assert.throws(() => seal({ id: -1, key: key.key }, phone, ad), RangeError);
  assert.throws(() => seal({ id: 2 ** 32, key: key.key }, phone, ad), RangeError);
});

test('a wiped (all-zero) key never encrypts: a request racing a seal fails instead', () => {
  assert.throws(() => seal({ id: 1, key: Buffer.alloc(32) }, Buffer.from('x'), Buffer.alloc(0)), /sealed/);
});

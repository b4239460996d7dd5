import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { DecryptionError, KeyNotFoundError, SealedError } from '../errors.ts';
import type { AeadKey } from './aead.ts';
import {
  SEGMENT_SIZE,
  STREAM_HEADER_SIZE,
  createDecryptStream,
  createEncryptStream,
  decryptBuffer,
  encryptBuffer,
} from './stream.ts';

const key: AeadKey = { id: 5, key: randomBytes(32) };
const resolve = (id: number): AeadKey => {
  if (id !== key.id) throw new KeyNotFoundError(id);
  return key;
};
const ad = Buffer.from('tenant-a|media|blob-1');
const SEGMENT = SEGMENT_SIZE + 16;

/** Byte ranges of each encrypted segment in a stream ciphertext. */
function segments(ciphertext: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = STREAM_HEADER_SIZE; at < ciphertext.length; at += SEGMENT) {
    out.push(ciphertext.subarray(at, Math.min(at + SEGMENT, ciphertext.length)));
  }
  return out;
}

function header(ciphertext: Buffer): Buffer {
  return ciphertext.subarray(0, STREAM_HEADER_SIZE);
}

async function rejectsDecryption(ciphertext: Buffer, withAd: Uint8Array = ad): Promise<void> {
  await assert.rejects(decryptBuffer(resolve, ciphertext, withAd), DecryptionError);
}

/** Splits `data` into random chunks of 1 byte to 200 KiB. */
function randomChunks(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length;) {
    const n = randomInt(1, Math.min(200_000, data.length - at) + 1);
    chunks.push(data.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

async function collect(source: Buffer[], transform: Transform): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(source), transform, async (stream: AsyncIterable<Buffer>) => {
    for await (const chunk of stream) out.push(chunk);
  });
  return Buffer.concat(out);
}

for (const size of [0, 1, 65535, 65536, 65537, 3 * 65536 + 5]) {
  test(`a ${size}-byte plaintext round-trips with the expected size`, async () => {
    const plaintext = randomBytes(size);
    const ciphertext = await encryptBuffer(key, plaintext, ad);
    const segmentCount = Math.max(1, Math.ceil(size / SEGMENT_SIZE));
    assert.equal(ciphertext.length, STREAM_HEADER_SIZE + size + 16 * segmentCount);
    assert.deepEqual(await decryptBuffer(resolve, ciphertext, ad), plaintext);
  });
}

test('random chunking on both sides gives the same plaintext back', async () => {
  for (let round = 0; round < 5; round++) {
    const plaintext = randomBytes(randomInt(0, 5 * SEGMENT_SIZE));
    const ciphertext = await collect(randomChunks(plaintext), createEncryptStream(key, ad));
    assert.deepEqual(await collect(randomChunks(ciphertext), createDecryptStream(resolve, ad)), plaintext);
  }
});

test('a stream cut at a segment boundary fails to decrypt', async () => {
  const ciphertext = await encryptBuffer(key, randomBytes(3 * SEGMENT_SIZE + 5), ad);
  for (const keep of [1, 2, 3]) {
    await rejectsDecryption(ciphertext.subarray(0, STREAM_HEADER_SIZE + keep * SEGMENT));
  }
  await rejectsDecryption(header(ciphertext));
  await rejectsDecryption(ciphertext.subarray(0, 10));
});

test('dropping the final segment of an exact multiple of the segment size fails', async () => {
  const ciphertext = await encryptBuffer(key, randomBytes(2 * SEGMENT_SIZE), ad);
  assert.equal(segments(ciphertext).length, 2);
  await rejectsDecryption(ciphertext.subarray(0, STREAM_HEADER_SIZE + SEGMENT));
});

test('swapping two segments fails', async () => {
  const ciphertext = await encryptBuffer(key, randomBytes(3 * SEGMENT_SIZE + 5), ad);
  const [s0, s1, s2, s3] = segments(ciphertext);
  await rejectsDecryption(Buffer.concat([header(ciphertext), s1!, s0!, s2!, s3!]));
});

test('a segment spliced in from another file under the same key fails', async () => {
  const a = await encryptBuffer(key, randomBytes(2 * SEGMENT_SIZE + 5), ad);
  const b = await encryptBuffer(key, randomBytes(2 * SEGMENT_SIZE + 5), ad);
  const [a0, , a2] = segments(a);
  const [, b1] = segments(b);
  await rejectsDecryption(Buffer.concat([header(a), a0!, b1!, a2!]));
});

test('appended bytes after the final segment fail', async () => {
  const ciphertext = await encryptBuffer(key, randomBytes(1000), ad);
  await rejectsDecryption(Buffer.concat([ciphertext, Buffer.from([0])]));
  await rejectsDecryption(Buffer.concat([ciphertext, ciphertext.subarray(STREAM_HEADER_SIZE)]));
});

test('the wrong associated data fails', async () => {
  const ciphertext = await encryptBuffer(key, randomBytes(1000), ad);
  await rejectsDecryption(ciphertext, Buffer.from('tenant-a|media|blob-2'));
});

test('a bit flip in the header or in any segment fails', async () => {
  const ciphertext = await encryptBuffer(key, randomBytes(2 * SEGMENT_SIZE + 5), ad);
  const positions = [
    0,
    4,
    10,
    25,
    STREAM_HEADER_SIZE,
    STREAM_HEADER_SIZE + SEGMENT + 7,
    ciphertext.length - 1,
  ];
  for (const at of positions) {
    const bad = Buffer.from(ciphertext);
    bad[at]! ^= 0x01;
    // Resolve any key version to the real key bytes, so header edits reach authentication.
    await assert.rejects(
      decryptBuffer((id) => ({ id, key: key.key }), bad, ad),
      DecryptionError,
    );
  }
});

test('plaintext of an unauthenticated segment is never emitted', async () => {
  const plaintext = randomBytes(2 * SEGMENT_SIZE + 5);
  const bad = await encryptBuffer(key, plaintext, ad);
  bad[STREAM_HEADER_SIZE + SEGMENT + 3]! ^= 0x01; // corrupt the second segment
  const emitted: Buffer[] = [];
  const stream = createDecryptStream(resolve, ad);
  stream.on('data', (chunk: Buffer) => emitted.push(chunk));
  const failed = new Promise((resolve) => stream.once('error', resolve));
  stream.end(bad);
  assert.ok((await failed) instanceof DecryptionError);
  assert.deepEqual(Buffer.concat(emitted), plaintext.subarray(0, SEGMENT_SIZE));
});

test('an unknown key version surfaces the resolver error; a mismatched key is a wrong-version error', async () => {
  const ciphertext = await encryptBuffer({ id: 6, key: key.key }, randomBytes(10), ad);
  await assert.rejects(decryptBuffer(resolve, ciphertext, ad), KeyNotFoundError);
  await assert.rejects(
    decryptBuffer(() => key, ciphertext, ad),
    /wrong key version.*version 6, not 5/,
  );
});

test('a zeroed key (sealed, destroyed or evicted) encrypts nothing: a file under it could never be opened', async () => {
  const wiped: AeadKey = { id: 9, key: Buffer.alloc(32) };
  assert.throws(() => createEncryptStream(wiped, ad), SealedError);
  await assert.rejects(encryptBuffer(wiped, randomBytes(10), ad), SealedError);
});

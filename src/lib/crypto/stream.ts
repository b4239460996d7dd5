import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import { DecryptionError } from '../errors.ts';
import { type AeadKey, assertAeadKey, assertLiveKey } from './aead.ts';
import { hkdf } from './hkdf.ts';

// Streaming AEAD for files, in the style of Tink's AES-GCM-HKDF streaming:
//   header  = 0x01 | key version (u32 BE) | salt (16) | nonce prefix (7)
//   segment = ciphertext | tag (16), SEGMENT_SIZE plaintext bytes each (the last fewer, possibly 0)
//   file key = HKDF-SHA256(customer key, salt, info = AD)
//   segment nonce = nonce prefix | segment counter (u32 BE) | last flag (0x00 / 0x01)
//   every segment's GCM AAD = the header bytes
// Reordering, truncation, appended data, splicing between files and header edits fail authentication.

/** Plaintext bytes per segment. */
export const SEGMENT_SIZE = 65536;
/** First byte of every encrypted stream. */
export const STREAM_FORMAT_VERSION = 0x01;
/** Bytes of the stream header: format (1) + key version (4) + salt (16) + nonce prefix (7). */
export const STREAM_HEADER_SIZE = 28;

const ALGORITHM = 'aes-256-gcm';
const TAG_BYTES = 16;
const SALT_BYTES = 16;
const PREFIX_BYTES = 7;
const PREFIX_OFFSET = 5 + SALT_BYTES;
const ENCRYPTED_SEGMENT_SIZE = SEGMENT_SIZE + TAG_BYTES;
const MAX_SEGMENT_INDEX = 0xffffffff;
const MAX_AD_BYTES = 1024; // node's hkdfSync limit on `info`

interface FileCipher {
  readonly key: Buffer;
  readonly header: Buffer;
  segment: number;
}

function fileCipher(key: AeadKey, header: Buffer, ad: Uint8Array): FileCipher {
  // A zeroed key would derive a valid-looking file key: a file sealed under it could never be opened.
  assertLiveKey(key);
  if (ad.length > MAX_AD_BYTES) {
    throw new RangeError(`stream associated data must be at most ${MAX_AD_BYTES} bytes`);
  }
  const salt = header.subarray(5, PREFIX_OFFSET);
  return { key: hkdf(key.key, ad, 32, salt), header, segment: 0 };
}

function nextNonce(file: FileCipher, last: boolean): Buffer {
  if (file.segment > MAX_SEGMENT_INDEX) throw new RangeError('stream is too long: segment counter exhausted');
  const nonce = Buffer.allocUnsafe(12);
  file.header.copy(nonce, 0, PREFIX_OFFSET, STREAM_HEADER_SIZE);
  nonce.writeUInt32BE(file.segment++, PREFIX_BYTES);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/**
 * Cuts `chunk` (from `from`) into segments of `pending.length` bytes and hands each to `onSegment`,
 * always holding the latest full segment back in `pending`: only the end of the stream can say which
 * segment is the last. Whole segments inside a chunk are passed without copying. Returns the new fill.
 */
function feedSegments(
  chunk: Buffer,
  from: number,
  pending: Buffer,
  fill: number,
  onSegment: (segment: Buffer) => void,
): number {
  const size = pending.length;
  let at = from;
  while (at < chunk.length) {
    if (fill === size) {
      onSegment(pending);
      fill = 0;
    }
    const left = chunk.length - at;
    if (fill === 0 && left > size) {
      onSegment(chunk.subarray(at, at + size));
      at += size;
      continue;
    }
    const n = Math.min(size - fill, left);
    chunk.copy(pending, fill, at, at + n);
    fill += n;
    at += n;
  }
  return fill;
}

/**
 * A Transform that encrypts a byte stream for `key`, bound to `ad` (e.g. the blob id).
 * @example await pipeline(fs.createReadStream(src), createEncryptStream(key, ad), blobWriter)
 */
export function createEncryptStream(key: AeadKey, ad: Uint8Array): Transform {
  assertAeadKey(key);
  const header = Buffer.allocUnsafe(STREAM_HEADER_SIZE);
  header[0] = STREAM_FORMAT_VERSION;
  header.writeUInt32BE(key.id, 1);
  randomBytes(SALT_BYTES + PREFIX_BYTES).copy(header, 5);
  const file = fileCipher(key, header, ad);
  // A full segment is held until more input proves it is not the last one.
  const pending = Buffer.allocUnsafe(SEGMENT_SIZE);
  let fill = 0;

  function encryptSegment(stream: Transform, plaintext: Buffer, last: boolean): void {
    const cipher = createCipheriv(ALGORITHM, file.key, nextNonce(file, last), { authTagLength: TAG_BYTES });
    cipher.setAAD(file.header);
    stream.push(cipher.update(plaintext));
    cipher.final();
    stream.push(cipher.getAuthTag());
  }

  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      try {
        fill = feedSegments(chunk, 0, pending, fill, (segment) => encryptSegment(this, segment, false));
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      try {
        encryptSegment(this, pending.subarray(0, fill), true);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    // Runs after the end and after errors: no file key or plaintext stays behind.
    destroy(err, done) {
      file.key.fill(0);
      pending.fill(0);
      done(err);
    },
  });
  stream.push(header);
  return stream;
}

/**
 * A Transform that decrypts what {@link createEncryptStream} produced. `resolveKey` maps the header's
 * key-version id to a key (it may throw KeyNotFoundError). A segment's plaintext is only emitted
 * after its tag verifies; any failure errors the stream with DecryptionError.
 */
export function createDecryptStream(
  resolveKey: (keyVersionId: number) => AeadKey,
  ad: Uint8Array,
): Transform {
  const header = Buffer.allocUnsafe(STREAM_HEADER_SIZE);
  let headerFill = 0;
  let file: FileCipher | undefined;
  // Only the end of the stream tells which segment is last, so one full segment is held back.
  const pending = Buffer.allocUnsafe(ENCRYPTED_SEGMENT_SIZE);
  let fill = 0;

  function openHeader(): FileCipher {
    if (header[0] !== STREAM_FORMAT_VERSION) {
      throw new DecryptionError('Decryption failed: malformed stream (unknown format version)');
    }
    const version = header.readUInt32BE(1);
    const key = resolveKey(version);
    if (key.id !== version) {
      throw new DecryptionError(
        `Decryption failed: wrong key version (the stream is under key version ${version}, not ${key.id})`,
      );
    }
    return fileCipher(key, header, ad);
  }

  function decryptSegment(stream: Transform, current: FileCipher, segment: Buffer, last: boolean): void {
    const index = current.segment;
    const tagAt = segment.length - TAG_BYTES;
    const decipher = createDecipheriv(ALGORITHM, current.key, nextNonce(current, last), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(current.header);
    decipher.setAuthTag(segment.subarray(tagAt));
    const plaintext = decipher.update(segment.subarray(0, tagAt));
    try {
      decipher.final();
    } catch {
      plaintext.fill(0);
      throw new DecryptionError(
        `Decryption failed: stream segment ${index} is corrupt, truncated, reordered or from another file`,
      );
    }
    stream.push(plaintext);
  }

  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      try {
        let at = 0;
        if (!file) {
          const n = Math.min(STREAM_HEADER_SIZE - headerFill, chunk.length);
          chunk.copy(header, headerFill, 0, n);
          headerFill += n;
          at = n;
          if (headerFill < STREAM_HEADER_SIZE) return done();
          file = openHeader();
        }
        const current = file;
        fill = feedSegments(chunk, at, pending, fill, (segment) =>
          decryptSegment(this, current, segment, false),
        );
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      try {
        if (!file) throw new DecryptionError('Decryption failed: malformed stream (truncated header)');
        if (fill < TAG_BYTES) throw new DecryptionError('Decryption failed: stream is truncated');
        decryptSegment(this, file, pending.subarray(0, fill), true);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    destroy(err, done) {
      file?.key.fill(0);
      done(err);
    },
  });
}

async function runThrough(stream: Transform, input: Uint8Array): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  stream.end(input);
  await finished;
  return Buffer.concat(chunks);
}

/** Encrypts a whole buffer with the streaming format (same bytes as {@link createEncryptStream}). */
export async function encryptBuffer(key: AeadKey, plaintext: Uint8Array, ad: Uint8Array): Promise<Buffer> {
  return runThrough(createEncryptStream(key, ad), plaintext);
}

/** Decrypts a whole streaming-format buffer; rejects with DecryptionError on any tampering. */
export async function decryptBuffer(
  resolveKey: (keyVersionId: number) => AeadKey,
  ciphertext: Uint8Array,
  ad: Uint8Array,
): Promise<Buffer> {
  return runThrough(createDecryptStream(resolveKey, ad), ciphertext);
}

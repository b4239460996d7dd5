import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createEncryptStream } from '../src/lib/crypto/stream.ts';
const key = { id: 1, key: randomBytes(32) };
const data = randomBytes(64 * 2 ** 20);
const sizes = [65536, 262144, 1048576, 131072, 524288];
const chunks: Buffer[] = [];
for (let at = 0, i = 0; at < data.length; i++) { const s = sizes[i % 5]!; chunks.push(data.subarray(at, at + s)); at += s; }
const ad = Buffer.from('x');
const t = performance.now(); let n = 0;
while (performance.now() - t < 4000) {
  await pipeline(Readable.from(chunks), createEncryptStream(key, ad), new Writable({ write(c, _e, d) { d(); } }));
  n++;
}
console.log((n * 64 * 1.048576) / ((performance.now() - t) / 1000), 'MB/s');

import { randomBytes, createCipheriv } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createEncryptStream } from '../src/lib/crypto/stream.ts';
const key = { id: 1, key: randomBytes(32) };
const data = randomBytes(64 * 2 ** 20);
const sizes = [65536, 262144, 1048576, 131072, 524288];
const chunks: Buffer[] = [];
for (let at = 0, i = 0; at < data.length; i++) { const s = sizes[i % 5]!; chunks.push(data.subarray(at, at + s)); at += s; }
const ad = Buffer.from('x');
async function m(f: () => unknown) { const t = performance.now(); let n = 0; while (performance.now() - t < 1500) { await f(); n++; } return Math.round((n * 67.108864) / ((performance.now() - t) / 1000)); }
for (let r = 0; r < 4; r++) {
  const a = await m(() => pipeline(Readable.from(chunks), createEncryptStream(key, ad), new Writable({ write(c, _e, d) { d(); } })));
  const b = await m(() => { const c = createCipheriv('aes-256-gcm', key.key, randomBytes(12)); c.setAAD(ad); for (const ch of chunks) c.update(ch); c.final(); c.getAuthTag(); });
  const c2 = await m(() => { for (let i = 0; i < data.length; i += 65536) { const c = createCipheriv('aes-256-gcm', key.key, randomBytes(12)); c.setAAD(ad); c.update(data.subarray(i, i + 65536)); c.final(); c.getAuthTag(); } });
  console.log('stream', a, 'raw', b, 'raw-per-64k-seg', c2);
}

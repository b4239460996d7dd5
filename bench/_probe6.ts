import { randomBytes, createCipheriv } from 'node:crypto';
import { Readable, Writable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { interleaved } from './lib/timing.ts';
const key = randomBytes(32);
const data = randomBytes(64 * 2 ** 20);
const sizes = [65536, 262144, 1048576, 131072, 524288];
const chunks: Buffer[] = [];
for (let at = 0, i = 0; at < data.length; i++) { const s = sizes[i % 5]!; chunks.push(data.subarray(at, at + s)); at += s; }
const ad = Buffer.alloc(76);
async function m(f: () => unknown) { const t = performance.now(); let n = 0; while (performance.now() - t < 600) { await f(); n++; } return Math.round((n * 67.108864) / ((performance.now() - t) / 1000)); }
function seg(push: (b: Buffer) => void, pt: Buffer, mode: string) {
  const c = createCipheriv('aes-256-gcm', key, randomBytes(12)); c.setAAD(ad);
  const ct = c.update(pt); c.final(); const tag = c.getAuthTag();
  if (mode === 'two') { push(ct); push(tag); } else { const o = Buffer.allocUnsafe(ct.length + 16); ct.copy(o); tag.copy(o, ct.length); push(o); }
}
const mk = (mode: string, hwm?: number) => new Transform({ ...(hwm ? { readableHighWaterMark: hwm, writableHighWaterMark: hwm } : {}), transform(chunk: Buffer, _e, done) { for (let i = 0; i < chunk.length; i += 65536) seg((b) => this.push(b), chunk.subarray(i, i + 65536), mode); done(); } });
const sink = () => new Writable({ write(c, _e, d) { d(); } });
console.log(await interleaved(5, {
  two: () => m(() => pipeline(Readable.from(chunks), mk('two'), sink())),
  one: () => m(() => pipeline(Readable.from(chunks), mk('one'), sink())),
  twoHwm: () => m(() => pipeline(Readable.from(chunks), mk('two', 1 << 20), sink())),
  oneHwm: () => m(() => pipeline(Readable.from(chunks), mk('one', 1 << 20), sink())),
  segsNoStream: () => m(() => { for (const ch of chunks) for (let i = 0; i < ch.length; i += 65536) seg(() => {}, ch.subarray(i, i + 65536), 'two'); }),
  raw: () => m(() => { const c = createCipheriv('aes-256-gcm', key, randomBytes(12)); c.setAAD(ad); for (const ch of chunks) c.update(ch); c.final(); c.getAuthTag(); }),
}));

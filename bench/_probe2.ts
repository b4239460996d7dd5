import { randomBytes } from 'node:crypto';
import { associatedData, open, seal } from '../src/lib/crypto/aead.ts';
const key = { id: 1, key: randomBytes(32) };
const P = Buffer.from(JSON.stringify({ phone: '+8613812345678' }));
const ad = associatedData('0190f7c2-8a6b-7cc1-9e2a-3f4b5c6d7e8f', 'contacts', 'phone', '0190f7c3-1d2e-7f00-8a1b-2c3d4e5f6a7b');
const s = seal(key, P, ad);
const t = performance.now(); let n = 0;
while (performance.now() - t < 3000) { for (let i = 0; i < 1000; i++) open(key, s, ad); n += 1000; }
console.log(n / 3);

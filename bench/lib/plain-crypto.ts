// Bench-only: `node --import tsx --import bench/lib/plain-crypto.ts src/main.ts serve` runs ChatVault
// with encryption switched off. Every import of src/lib/crypto/aead.ts resolves to plain-aead.ts,
// which keeps the ciphertext layout but copies the bytes instead of running AES-GCM. Nothing in src/
// knows about it; signature checks, keyed hashes, SQL and commits are exactly those of the product.
import { register } from 'node:module';

register('./plain-crypto-hooks.mjs', import.meta.url);

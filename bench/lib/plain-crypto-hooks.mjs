// Module resolution hook for plain-crypto.ts: src/lib/crypto/aead.ts → bench/lib/plain-aead.ts
// (plain-aead.ts itself still imports the real module for everything it does not replace).
const plain = new URL('./plain-aead.ts', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (resolved.url.endsWith('/src/lib/crypto/aead.ts') && context.parentURL !== plain) {
    return { ...resolved, url: plain, shortCircuit: true };
  }
  return resolved;
}

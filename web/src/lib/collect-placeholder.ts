/**
 * A sent secure-collection-link message is stored with `{{collect-token:<link id>}}` where the
 * customer's URL had the token (the token itself is never stored nor shown to staff). The console
 * shows a friendly label in place of the whole link URL; this splits a text body into plain parts and link markers,
 * dropping the link id too so nothing of the placeholder reaches the screen.
 */
export type TextPart = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'collectLink' };

/** The placeholder and the link URL it ends (`https://…/collect/#{{collect-token:…}}`). */
const PLACEHOLDER = /(?:\S*#)?\{\{collect-token:[^{}\s]*\}\}/g;

export function splitCollectPlaceholders(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const at = match.index ?? 0;
    if (at > last) parts.push({ kind: 'text', text: text.slice(last, at) });
    parts.push({ kind: 'collectLink' });
    last = at + match[0].length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

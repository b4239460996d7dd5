/** The hosted opt-in page: plain HTML, no script, one nonce'd style block, nothing from elsewhere. */

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Nothing may load, frame or post anywhere but this page's own form target. */
export function optInCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
label{display:block;margin:1rem 0 .25rem}input[type=tel]{width:100%;padding:.5rem;font-size:1rem}
.check{display:flex;gap:.5rem;align-items:flex-start}button{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}
.small{color:#555;font-size:.875rem}`;

function page(nonce: string, title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">
<title>${escape(title)}</title><style nonce="${nonce}">${STYLE}</style></head><body>${body}</body></html>`;
}

/**
 * The form. States who is asking and for what (Meta's opt-in rules: the business name and that the
 * customer agrees to receive messages of this kind on WhatsApp); the box starts unticked.
 */
export function optInForm(input: {
  nonce: string;
  business: string;
  purpose: string;
  csrf: string;
  error?: string;
}) {
  const b = escape(input.business);
  return page(
    input.nonce,
    `${input.business}: WhatsApp messages`,
    `<h1>${b} on WhatsApp</h1>
<p>${b} would like to send you ${escape(input.purpose)}. You can stop at any time by replying STOP
or tapping “Stop promotions” in a message.</p>
${input.error ? `<p role="alert"><strong>${escape(input.error)}</strong></p>` : ''}
<form method="post">
<input type="hidden" name="csrf" value="${escape(input.csrf)}">
<label for="phone">Your WhatsApp number (with country code)</label>
<input id="phone" name="phone" type="tel" autocomplete="tel" required maxlength="40" placeholder="+44 7700 900123">
<p class="check"><input id="agree" name="agree" type="checkbox" value="yes" required>
<label for="agree">Yes, I want to receive ${escape(input.purpose)} from ${b} on WhatsApp.</label></p>
<button type="submit">Subscribe</button>
</form>
<p class="small">Your number is stored encrypted and used only for these messages.</p>`,
  );
}

export function optInDone(nonce: string, business: string): string {
  return page(
    nonce,
    `${business}: subscribed`,
    `<h1>Thank you</h1><p>You will receive messages from ${escape(business)} on WhatsApp. Reply STOP at any time to opt out.</p>`,
  );
}

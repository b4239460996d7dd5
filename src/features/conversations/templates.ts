/** A message template as the reply box offers it. */
export interface TemplateSummary {
  readonly name: string;
  readonly language: string;
  readonly category: string;
  readonly body: string;
  /** Body parameters to fill in, in order: names for named templates, "1", "2"… for positional ones. */
  readonly parameters: readonly string[];
  readonly named: boolean;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});

/**
 * Picks the approved templates that the reply box can send (a text body, no media header) out of
 * Meta's `message_templates` answer.
 */
export function approvedTemplates(answer: Json): TemplateSummary[] {
  const data = Array.isArray(answer.data) ? answer.data : [];
  const out: TemplateSummary[] = [];
  for (const raw of data.slice(0, 250)) {
    const t = obj(raw);
    if (t.status !== 'APPROVED' || typeof t.name !== 'string') continue;
    const components = Array.isArray(t.components) ? t.components.map(obj) : [];
    if (components.some((c) => c.type === 'HEADER' && c.format !== undefined && c.format !== 'TEXT'))
      continue;
    const headerText = components.find((c) => c.type === 'HEADER')?.text;
    if (typeof headerText === 'string' && /\{\{/.test(headerText)) continue;
    const body = components.find((c) => c.type === 'BODY')?.text;
    const text = typeof body === 'string' ? body.slice(0, 1024) : '';
    const parameters = [...new Set([...text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1]!))];
    out.push({
      name: t.name.slice(0, 512),
      language: typeof t.language === 'string' ? t.language.slice(0, 15) : 'en_US',
      category: typeof t.category === 'string' ? t.category.slice(0, 32) : '',
      body: text,
      parameters,
      named: t.parameter_format === 'NAMED',
    });
  }
  return out;
}

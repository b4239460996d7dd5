import type { ParameterValue } from './campaigns.schema.ts';

/** Fills a template's parameters for one customer; `name` is the customer's decrypted name (memory only). */
export function templateMessage(
  template: { name: string; language: string; parameters: string[]; named: boolean },
  values: Record<string, ParameterValue>,
  name: string | null,
): Record<string, unknown> {
  const text = (p: string): string => {
    const v = values[p];
    if (!v) return '-';
    if ('text' in v) return v.text;
    if ('mediaId' in v) return '-';
    const full = name?.trim() || v.fallback;
    return v.field === 'first_name' ? (full.split(/\s+/)[0] ?? full) : full;
  };
  const param = (p: string) => ({
    type: 'text',
    ...(template.named ? { parameter_name: p } : {}),
    text: text(p),
  });
  const components: Record<string, unknown>[] = [];
  const header = template.parameters.filter((p) => p.startsWith('header:'));
  const media = header.find((p) => ['header:image', 'header:video', 'header:document'].includes(p));
  if (media) {
    const format = media.slice('header:'.length);
    const v = values.header;
    const id = v && 'mediaId' in v ? v.mediaId : '';
    components.push({ type: 'header', parameters: [{ type: format, [format]: { id } }] });
  } else if (header.length > 0) {
    components.push({ type: 'header', parameters: header.map((p) => param(p.slice('header:'.length))) });
  }
  const body = template.parameters.filter((p) => !p.startsWith('header:'));
  if (body.length > 0) components.push({ type: 'body', parameters: body.map(param) });
  return {
    type: 'template',
    template: { name: template.name, language: { code: template.language }, components },
  };
}

/** The preview a marketer sees: the body with fixed texts filled in and fields shown as `[first_name]`. */
export function previewBody(body: string, values: Record<string, ParameterValue>): string {
  return body.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_m, p: string) => {
    const v = values[p];
    if (!v) return `{{${p}}}`;
    if ('text' in v) return v.text;
    if ('field' in v) return `[${v.field}]`;
    return '';
  });
}

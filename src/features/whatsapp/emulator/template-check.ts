import { GraphError } from './errors.ts';
import type { TemplateComponentInput, TemplateInput, TemplateParameter } from './send-schema.ts';
import type { Template, TemplateCatalogue } from './templates.ts';

export interface TemplateCheck {
  readonly template: Template;
  readonly category: 'marketing' | 'utility' | 'authentication';
  /** Uploaded media ids the send refers to (header media); unknown ones fail later with 131053. */
  readonly mediaIds: readonly string[];
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/**
 * Checks a template send against the catalogue like Meta: an unknown or unapproved template (in
 * that language) is 132001, a different number of parameters is 132000 (header, body and
 * dynamic buttons counted separately), named parameters must use the template's names (132000),
 * and a media header needs a parameter of the header's format (132012).
 */
export function checkTemplateSend(input: TemplateInput, catalogue: TemplateCatalogue): TemplateCheck {
  const template = catalogue.find(input.name, input.language.code);
  if (!template || template.status !== 'APPROVED')
    throw new GraphError(
      132001,
      `template name (${input.name.slice(0, 512)}) does not exist in ${input.language.code}${template ? ' or is not approved' : ''}`,
    );
  const given = (type: 'header' | 'body') => input.components.find((c) => c.type === type)?.parameters ?? [];
  const mediaIds: string[] = [];

  const header = template.components.find((c) => c.type === 'HEADER');
  const headerParams = given('header');
  if (header?.format && header.format !== 'TEXT') {
    expectCount('header', headerParams, 1);
    const param = headerParams[0];
    const format = header.format.toLowerCase() as 'image' | 'video' | 'document';
    if (param?.type !== format) throw new GraphError(132012, `header: expected a ${format} parameter.`);
    const id = param[format]?.id;
    if (id !== undefined) mediaIds.push(id);
  } else {
    expectCount('header', headerParams, placeholders(header?.text).length);
  }

  const bodyNames = placeholders(template.components.find((c) => c.type === 'BODY')?.text);
  const bodyParams = given('body');
  expectCount('body', bodyParams, bodyNames.length);
  if (template.parameter_format === 'NAMED') expectNames(bodyParams, bodyNames);

  const buttons = template.components.find((c) => c.type === 'BUTTONS')?.buttons ?? [];
  buttons.forEach((button, index) => {
    const dynamic = button.type === 'OTP' || (button.type === 'URL' && placeholders(button.url).length > 0);
    const provided = findButton(input.components, index);
    if (dynamic) expectCount(`button ${index}`, provided?.parameters ?? [], 1);
    else if (provided && button.type !== 'QUICK_REPLY')
      expectCount(`button ${index}`, provided.parameters, 0);
  });
  const extra = input.components.find((c) => c.type === 'button' && Number(c.index ?? 0) >= buttons.length);
  if (extra) expectCount(`button ${String(extra.index ?? 0)}`, extra.parameters, 0);

  return { template, category: template.category.toLowerCase() as TemplateCheck['category'], mediaIds };
}

function placeholders(text: string | undefined): string[] {
  return [...new Set([...(text ?? '').matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}

function expectCount(component: string, parameters: readonly TemplateParameter[], expected: number): void {
  if (parameters.length !== expected)
    throw new GraphError(
      132000,
      `${component}: number of localizable_params (${parameters.length}) does not match the expected number of params (${expected})`,
    );
}

function expectNames(parameters: readonly TemplateParameter[], names: readonly string[]): void {
  const given = parameters.map((p) => p.parameter_name);
  const missing = names.filter((n) => !given.includes(n));
  if (missing.length > 0 || given.some((g) => g === undefined))
    throw new GraphError(132000, `body: named parameters must be exactly: ${names.join(', ')}`);
}

function findButton(
  components: readonly TemplateComponentInput[],
  index: number,
): TemplateComponentInput | undefined {
  return components.find((c) => c.type === 'button' && Number(c.index ?? 0) === index);
}

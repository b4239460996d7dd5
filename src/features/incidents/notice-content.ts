import type { TemplateSummary } from '../conversations/templates.ts';

/** What one customer's breach notice must say beyond the template's fixed text (§7.4: items 2, 6, 1). */
export interface NoticeFacts {
  /** The incident reference the customer can quote. */
  readonly reference: string;
  /** The customer's own fields in the blast radius (`phone`, `profileName`, …); null when unknown. */
  readonly fields: readonly string[] | null;
  /** The contact point / DPO; '' when the tenant has not configured one. */
  readonly contact: string;
  /** When the access began (ISO time). */
  readonly occurred: string;
  /** The customer's language code (`pt_BR`, `en_US`, …). */
  readonly language: string;
}

type Labels = Record<'phone' | 'profileName' | 'email' | 'attributes' | 'unknown', string>;

const LABELS: Record<string, Labels> = {
  en: {
    phone: 'phone number',
    profileName: 'name',
    email: 'e-mail address',
    attributes: 'customer details',
    unknown: 'contact details',
  },
  pt: {
    phone: 'número de telefone',
    profileName: 'nome',
    email: 'endereço de e-mail',
    attributes: 'dados de cliente',
    unknown: 'dados de contacto',
  },
  es: {
    phone: 'número de teléfono',
    profileName: 'nombre',
    email: 'correo electrónico',
    attributes: 'datos de cliente',
    unknown: 'datos de contacto',
  },
  de: {
    phone: 'Telefonnummer',
    profileName: 'Name',
    email: 'E-Mail-Adresse',
    attributes: 'Kundendaten',
    unknown: 'Kontaktdaten',
  },
  fr: {
    phone: 'numéro de téléphone',
    profileName: 'nom',
    email: 'adresse e-mail',
    attributes: 'données client',
    unknown: 'coordonnées',
  },
  zh: {
    phone: '手机号码',
    profileName: '姓名',
    email: '电子邮箱',
    attributes: '客户资料',
    unknown: '联系方式',
  },
};

/** This customer's data categories in their language (English when the language has no labels). */
export function categoriesText(fields: readonly string[] | null, language: string): string {
  const labels = LABELS[language.slice(0, 2).toLowerCase()] ?? LABELS.en!;
  const list = fields && fields.length > 0 ? fields : ['unknown'];
  const words = [...new Set(list.map((f) => labels[f as keyof Labels] ?? labels.unknown))];
  return words.join(language.startsWith('zh') ? '、' : ', ');
}

/** A template variable's text: one line, no runs of spaces (Cloud API rules), bounded. */
function clean(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim()
    .slice(0, 300);
}

type Slot = 'reference' | 'categories' | 'contact' | 'date';
/** Positional templates: {{1}} reference, {{2}} data categories, {{3}} contact point, {{4}} date. */
const POSITIONAL: readonly Slot[] = ['reference', 'categories', 'contact', 'date'];

function slotOfName(name: string): Slot {
  const n = name.toLowerCase();
  if (/categor|data|field|info/.test(n)) return 'categories';
  if (/contact|dpo|support|phone|email/.test(n)) return 'contact';
  if (/date|when|time|day/.test(n)) return 'date';
  return 'reference';
}

/**
 * Body parameters for a breach-notice template: named variables by their meaning (`categories`,
 * `contact`, `date`, anything else the reference), positional ones in the order above. The fixed
 * text (what happened, consequences, what the customer can do) is the approved template's own.
 */
export function noticeParameters(
  template: Pick<TemplateSummary, 'parameters' | 'named'>,
  facts: NoticeFacts,
): Array<{ type: 'text'; text: string; parameter_name?: string }> {
  const value = (slot: Slot): string => {
    switch (slot) {
      case 'categories':
        return categoriesText(facts.fields, facts.language);
      case 'contact':
        return clean(facts.contact) || facts.reference;
      case 'date':
        return facts.occurred.slice(0, 10);
      default:
        return facts.reference;
    }
  };
  return template.parameters.map((p, i) =>
    template.named
      ? { type: 'text' as const, text: value(slotOfName(p)), parameter_name: p }
      : { type: 'text' as const, text: value(POSITIONAL[i] ?? 'reference') },
  );
}

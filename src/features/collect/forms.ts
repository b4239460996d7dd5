/** The forms a secure collection link can ask for. Labels only; values never leave the browser in clear. */
export interface FormField {
  readonly name: string;
  readonly label: { readonly en: string; readonly zh: string };
  readonly maxLength: number;
  readonly multiline?: boolean;
}

export interface FormTemplate {
  readonly id: string;
  readonly title: { readonly en: string; readonly zh: string };
  readonly purpose: { readonly en: string; readonly zh: string };
  readonly fields: readonly FormField[];
}

const field = (name: string, en: string, zh: string, maxLength = 200, multiline = false): FormField => ({
  name,
  label: { en, zh },
  maxLength,
  ...(multiline ? { multiline } : {}),
});

export const FORM_TEMPLATES: Readonly<Record<string, FormTemplate>> = {
  delivery_address: {
    id: 'delivery_address',
    title: { en: 'Delivery address', zh: '收货地址' },
    purpose: { en: 'to deliver your order', zh: '用于配送您的订单' },
    fields: [
      field('name', 'Recipient name', '收件人姓名', 100),
      field('address', 'Address', '详细地址', 500, true),
      field('postcode', 'Postcode', '邮政编码', 20),
      field('phone', 'Phone for the courier', '快递联系电话', 40),
    ],
  },
  customs_id: {
    id: 'customs_id',
    title: { en: 'ID for customs clearance', zh: '清关身份信息' },
    purpose: { en: 'required by customs to clear your parcel', zh: '海关清关所需' },
    fields: [
      field('name', 'Name as on the ID', '证件姓名', 100),
      field('id_number', 'ID number', '身份证号码', 40),
    ],
  },
  invoice: {
    id: 'invoice',
    title: { en: 'Invoice details', zh: '发票信息' },
    purpose: { en: 'to issue your invoice', zh: '用于开具发票' },
    fields: [
      field('title', 'Invoice title (name or company)', '发票抬头', 200),
      field('tax_id', 'Tax ID', '税号', 40),
      field('address', 'Billing address', '开票地址', 500, true),
      field('email', 'E-mail for the invoice', '接收发票的邮箱', 200),
    ],
  },
};

export const TEMPLATE_IDS = Object.keys(FORM_TEMPLATES) as [string, ...string[]];
export const LANGUAGES = ['en', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

/** The notice sent before a link unless the tenant configured its own ({purpose} is filled in). */
export const DEFAULT_NOTICE: Readonly<Record<Language, string>> = {
  en:
    'This chat is end-to-end encrypted between you and us. For sensitive details we send you a ' +
    'one-time secure form instead of asking here: what you type is encrypted on your device, ' +
    'only our authorised staff can open it, and the link expires in 30 minutes. Why we ask: {purpose}.',
  zh:
    '本聊天在您与我们之间端到端加密。涉及敏感信息时，我们不会在聊天中索取，而是发送一次性安全表单：' +
    '您填写的内容在您的设备上加密，仅授权人员可以查看，链接 30 分钟后失效。用途：{purpose}。',
};

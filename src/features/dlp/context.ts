/**
 * Context words that raise or enable a detection when they appear shortly before a candidate
 * (lower-cased, several languages). Looked up only for candidates, never for the whole text.
 */
const CARD = ['card', 'visa', 'master', 'amex', 'credit', 'debit', 'cc#', '卡', 'カード', 'tarjeta', 'karte'];
const BANK = [
  'account',
  'acct',
  'a/c',
  'bank',
  'iban',
  'routing',
  'sort code',
  'swift',
  'bic',
  'konto',
  'cuenta',
  'compte',
  'conto',
  'rekening',
  'conta',
  '账号',
  '帳號',
  '帐号',
  '账户',
  '帳戶',
  '帐户',
  '银行',
  '銀行',
  '卡号',
  '开户',
  '收款',
  '汇款',
  '转账',
  '口座',
  '계좌',
];
const PHONE = [
  'phone',
  'tel',
  'mobile',
  'cell',
  'call',
  'whatsapp',
  'wechat',
  'sms',
  'text me',
  '电话',
  '電話',
  '手机',
  '手機',
  '联系',
  '微信',
];
const PASSPORT = [
  'passport',
  'passeport',
  'pasaporte',
  'passaporto',
  'reisepass',
  'paspoort',
  '护照',
  '護照',
  'パスポート',
  '여권',
];

/** Words naming an identity document (not a bare "ID": "order ID" is everywhere). */
const IDENTITY = [
  'id number',
  'id no',
  'id card',
  'id#',
  'identity',
  'national id',
  'resident id',
  'citizen id',
  'chinese id',
  '身份证',
  '身份證',
  '身份号',
  '证件号',
  '證件號',
  '居民身份',
];

/** Context kinds as bits of a mask. */
export const CONTEXT = { card: 1, bank: 2, phone: 4, passport: 8, identity: 16 } as const;
// One case-insensitive alternation of literals per kind: linear, and far faster than many includes().
const escape = (w: string) => w.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const LISTS: readonly (readonly [number, RegExp])[] = [
  [CONTEXT.card, CARD],
  [CONTEXT.bank, BANK],
  [CONTEXT.phone, PHONE],
  [CONTEXT.passport, PASSPORT],
  [CONTEXT.identity, IDENTITY],
].map(([bit, words]) => [bit as number, new RegExp((words as string[]).map(escape).join('|'), 'i')] as const);

/** How many UTF-16 code units before a candidate are searched for context words. */
export const CONTEXT_WINDOW = 40;

/** The mask of context kinds (`CONTEXT`) whose words occur in `text` just before `start`. */
export function contextBefore(text: string, start: number): number {
  if (start === 0) return 0;
  const window = text.slice(Math.max(0, start - CONTEXT_WINDOW), start);
  let mask = 0;
  for (const [bit, re] of LISTS) if (re.test(window)) mask |= bit;
  return mask;
}

import type { FindingKind } from './scanner.ts';

/**
 * A labelled corpus generated deterministically from a seed: chat lines in English and Chinese with
 * valid cards, resident IDs, IBANs, e-mails and phones (positives, with their exact spans), and lines
 * that must produce nothing (negatives): invalid cards and IDs, order numbers, dates, prices,
 * tracking numbers, timestamps, quantities. Used by the tests and the `privacy` bench.
 */
export interface CorpusLine {
  readonly text: string;
  /** Expected sensitive spans; empty for a negative line. */
  readonly expected: readonly { readonly kind: FindingKind; readonly start: number; readonly end: number }[];
  readonly label: 'card' | 'cn_id' | 'iban' | 'email' | 'phone' | 'negative';
}

/** mulberry32: small, fast, deterministic. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const digits = (k: number) => Array.from({ length: k }, () => String(int(0, 9))).join('');
  return { next, int, pick, digits };
}
type Rng = ReturnType<typeof rng>;

function luhnDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let v = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
  }
  return (10 - (sum % 10)) % 10;
}

const NETWORKS: readonly (readonly [() => string, number])[] = [];
function cardNumber(r: Rng): string {
  const kind = r.int(0, 7);
  const [prefix, len] = (
    [
      () => ['4', r.pick([16, 16, 16, 13, 19])],
      () => [String(r.int(51, 55)), 16],
      () => [String(r.int(2221, 2720)), 16],
      () => [r.pick(['34', '37']), 15],
      () => ['62', r.pick([16, 19])],
      () => [String(r.int(3528, 3589)), 16],
      () => [r.pick(['6011', '65', '644']), 16],
      () => ['36', 14],
    ] as (() => [string, number])[]
  )[kind]!();
  const body = prefix + r.digits(len - prefix.length - 1);
  return body + String(luhnDigit(body));
}
void NETWORKS;

const PROVINCES = [11, 12, 13, 31, 32, 33, 35, 37, 41, 42, 44, 50, 51, 53, 61, 65, 81];
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';
const pad = (v: number, k: number) => String(v).padStart(k, '0');

function cnIdBody(r: Rng): string {
  const region = `${r.pick(PROVINCES)}${pad(r.int(1, 20), 2)}${pad(r.int(1, 30), 2)}`;
  const year = r.int(1935, 2010);
  const month = r.int(1, 12);
  const day = r.int(1, 28);
  return `${region}${year}${pad(month, 2)}${pad(day, 2)}${r.digits(3)}`;
}
function cnCheck(body: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(body[i]) * WEIGHTS[i]!;
  return CHECK[sum % 11]!;
}

function iban(r: Rng): string {
  const [cc, bban] = r.pick([
    ['DE', () => r.digits(18)],
    ['GB', () => `NWBK${r.digits(14)}`],
    ['FR', () => r.digits(23)],
    ['ES', () => r.digits(20)],
    ['NL', () => `ABNA${r.digits(10)}`],
    ['IT', () => `X${r.digits(22)}`],
  ] as const);
  const b = bban();
  const numeric = (b + cc + '00').replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const ch of numeric) rem = (rem * 10 + Number(ch)) % 97;
  return `${cc}${pad(98 - rem, 2)}${b}`;
}

const FULL_WIDTH = (s: string) => s.replace(/[0-9X]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

/** Writes a number the ways people type them: plain, grouped by spaces/dashes, full-width. */
function format(r: Rng, raw: string, groups: readonly number[]): string {
  const style = r.int(0, 5);
  const grouped = (sep: string) => {
    const out: string[] = [];
    let at = 0;
    for (const g of groups) {
      if (at >= raw.length) break;
      out.push(raw.slice(at, at + g));
      at += g;
    }
    if (at < raw.length) out.push(raw.slice(at));
    return out.join(sep);
  };
  if (style === 1) return grouped(' ');
  if (style === 2) return grouped('-');
  if (style === 3) return FULL_WIDTH(raw);
  if (style === 4) return FULL_WIDTH(grouped('\u3000'));
  return raw;
}

const CARD_LINES = [
  'Here is my card {x}, please charge it',
  'card number: {x}',
  'pay with {x} thanks',
  'My visa is {x} exp 09/27',
  '{x}',
  '我的卡号是{x}',
  '用这张卡付款：{x} 谢谢',
  '信用卡 {x}',
  'Kartennummer {x} bitte',
];
const ID_LINES = [
  'My ID number is {x} for customs',
  'Chinese ID {x}',
  '身份证号码：{x}',
  '我的身份证是{x}，请帮我报关',
  '{x}',
  '收件人身份证 {x} 谢谢',
];
const IBAN_LINES = ['IBAN {x}', 'please refund to {x}', '退款账户 {x}'];
const EMAIL_LINES = ['mail me at {x} please', '我的邮箱是{x}', '{x}'];
const PHONE_LINES = ['call me on {x}', '手机{x}', 'my whatsapp is {x}'];

function place(template: string, value: string, kind: FindingKind, label: CorpusLine['label']): CorpusLine {
  const start = template.indexOf('{x}');
  return {
    text: template.replace('{x}', value),
    expected: [{ kind, start, end: start + value.length }],
    label,
  };
}

function negativeLine(r: Rng): string {
  const date = `${r.int(2019, 2027)}-${pad(r.int(1, 12), 2)}-${pad(r.int(1, 28), 2)}`;
  const time = `${pad(r.int(0, 23), 2)}:${pad(r.int(0, 59), 2)}:${pad(r.int(0, 59), 2)}`;
  const order = r.pick([
    () => `ORD-${date.replace(/-/g, '')}-${r.digits(5)}`,
    () => `#${r.int(100000, 9999999)}`,
    () => `${date.replace(/-/g, '')}${r.digits(r.int(6, 10))}`,
    () => `${r.int(100, 999)}-${r.digits(7)}-${r.digits(7)}`,
    () => `${r.int(1, 9)}${r.digits(r.int(7, 9))}`,
  ])();
  const tracking = r.pick([
    () => `SF${r.digits(12)}`,
    () => `YT${r.digits(13)}`,
    () => `1Z${r.digits(3)}AA${r.digits(10)}`,
    () => `EA${r.digits(9)}CN`,
    () => `JDVA${r.digits(11)}`,
    () => `7${r.digits(11)}`,
    () => `${r.pick(['73', '75', '78'])}${r.digits(12)}`,
  ])();
  const price = r.pick([
    () => `¥${r.int(1, 9)},${r.digits(3)}.${r.digits(2)}`,
    () => `$${r.int(1, 999)}.${r.digits(2)}`,
    () => `${r.int(1, 99)} ${r.digits(3)},${r.digits(2)} €`,
    () => `${r.int(10, 99999)}元`,
  ])();
  const ts = r.pick([() => `17${r.digits(8)}`, () => `17${r.digits(11)}`])();
  const badCard = (() => {
    const c = cardNumber(r);
    const last = (Number(c.at(-1)) + r.int(1, 9)) % 10;
    return format(r, c.slice(0, -1) + String(last), [4, 4, 4, 4, 3]);
  })();
  const badId = (() => {
    const body = cnIdBody(r);
    const mode = r.int(0, 2);
    if (mode === 0) {
      const right = cnCheck(body);
      return body + CHECK[(CHECK.indexOf(right) + r.int(1, 10)) % 11];
    }
    if (mode === 1) {
      const b = `${body.slice(0, 10)}13${body.slice(12)}`;
      return b + cnCheck(b);
    }
    const b = `99${body.slice(2)}`;
    return b + cnCheck(b);
  })();
  return r.pick([
    `Order ${order} shipped on ${date}`,
    `订单号${order}已发货，预计${date}送达`,
    `Your tracking number is ${tracking}`,
    `快递单号：${tracking}`,
    `Total: ${price}, paid ${date} ${time}`,
    `价格 ${price}，共${r.int(1, 20)}件`,
    `Delivered at ${ts}`,
    `${date} ${time} 到货`,
    `Invoice ${order} due ${date}`,
    `The number ${badCard} was declined?`,
    `这个号码 ${badCard} 不对吗`,
    `ID ${badId} is that right?`,
    `身份证 ${badId} 对吗`,
    `Ref ${ts} / ${order}`,
    `Qty ${r.int(1, 500)} x ${price} on ${date}`,
    `Meeting ${date} at ${time.slice(0, 5)}, room ${r.int(100, 999)}`,
  ]);
}

/** The labelled corpus for a seed; `size` positives per validated kind, `4 × size` negatives. */
export function buildCorpus(seed = 8, size = 2000): CorpusLine[] {
  const r = rng(seed);
  const lines: CorpusLine[] = [];
  for (let i = 0; i < size; i++) {
    const card = cardNumber(r);
    const groups = card.length === 15 ? [4, 6, 5] : [4, 4, 4, 4];
    lines.push(place(r.pick(CARD_LINES), format(r, card, groups), 'card', 'card'));
    const body = cnIdBody(r);
    const id = body + cnCheck(body);
    lines.push(place(r.pick(ID_LINES), format(r, id, [6, 8, 4]), 'cn_id', 'cn_id'));
  }
  for (let i = 0; i < size / 10; i++) {
    const value = iban(r);
    const spaced = r.int(0, 1) ? value.replace(/(.{4})(?=.)/g, '$1 ') : value;
    lines.push(place(r.pick(IBAN_LINES), spaced, 'iban', 'iban'));
    const email = `${r.pick(['li.wei', 'anna', 'j_smith', 'zhang3'])}${r.int(1, 999)}@${r.pick(['example.com', 'qq.com', 'mail.example.co.uk'])}`;
    lines.push(place(r.pick(EMAIL_LINES), email, 'email', 'email'));
    const phone = r.pick([
      () => `1${r.pick(['38', '39', '50', '86', '77'])}${r.digits(8)}`,
      () => `+86 1${r.pick(['38', '39', '50'])} ${r.digits(4)} ${r.digits(4)}`,
      () => `+44 7400 12${r.digits(4)}`,
    ])();
    lines.push(place(r.pick(PHONE_LINES), phone, 'phone', 'phone'));
  }
  for (let i = 0; i < size * 4; i++) lines.push({ text: negativeLine(r), expected: [], label: 'negative' });
  return lines;
}

const OLD_ID_LINES = [
  'My ID number is {x} (old card)',
  'ID card {x}',
  '身份证号码：{x}',
  '我的身份证是{x}，请帮我报关',
  '收件人身份证 {x} 谢谢',
  '旧身份证号 {x}',
  'identity card no. {x}',
];

/** A first-generation 15-digit resident ID: region, birth date `YYMMDD` (19YY), sequence. */
function oldIdNumber(r: Rng): string {
  const region = `${r.pick(PROVINCES)}${pad(r.int(1, 20), 2)}${pad(r.int(1, 30), 2)}`;
  return `${region}${pad(r.int(20, 88), 2)}${pad(r.int(1, 12), 2)}${pad(r.int(1, 28), 2)}${pad(r.int(1, 999), 3)}`;
}

/** 15-digit numbers that are not IDs: IMEIs, courier and order numbers, also right after "ID". */
function oldIdNegative(r: Rng): string {
  const imei = () => {
    const body = `${r.pick(['35', '86', '01', '99'])}${r.digits(12)}`;
    return body + String(luhnDigit(body));
  };
  const fifteen = r.pick([
    imei,
    () => `${r.pick(['31', '33', '36', '22', '77'])}${r.digits(13)}`,
    () => oldIdNumber(r),
  ])();
  const badOldId = (() => {
    const id = oldIdNumber(r);
    return r.int(0, 1) === 0 ? `${id.slice(0, 8)}13${id.slice(10)}` : `99${id.slice(2)}`;
  })();
  return r.pick([
    `IMEI ${imei()} please unlock`,
    `设备串号 ${imei()}`,
    `快递单号：${fifteen}`,
    `Your tracking number is ${fifteen}`,
    `Order ID ${fifteen} shipped`,
    `订单 ${fifteen} 已付款`,
    `${fifteen}`,
    `ID number ${badOldId}?`,
    `身份证 ${badOldId} 对吗`,
  ]);
}

/**
 * 15-digit first-generation IDs after an ID word (positives, label `cn_id`) and 15-digit non-IDs
 * (negatives, `4 × size`): IMEIs, courier and order numbers, structurally valid numbers with no ID
 * word, and IDs with an impossible date or region.
 */
export function buildOldIdCorpus(seed = 15, size = 1000): CorpusLine[] {
  const r = rng(seed);
  const lines: CorpusLine[] = [];
  for (let i = 0; i < size; i++) {
    const id = oldIdNumber(r);
    lines.push(place(r.pick(OLD_ID_LINES), format(r, id, [6, 6, 3]), 'cn_id', 'cn_id'));
  }
  for (let i = 0; i < size * 4; i++) lines.push({ text: oldIdNegative(r), expected: [], label: 'negative' });
  return lines;
}

/** Recall on valid card and ID numbers, false positives on negative lines, for a scanner. */
export function measure(
  corpus: readonly CorpusLine[],
  scanner: (text: string) => readonly { kind: FindingKind; start: number; end: number; confidence: number }[],
): { recall: number; falsePositivePct: number; positives: number; negatives: number; missed: string[] } {
  let positives = 0;
  let hits = 0;
  let negatives = 0;
  let flagged = 0;
  const missed: string[] = [];
  for (const line of corpus) {
    const found = scanner(line.text).filter((f) => f.confidence >= 0.5);
    if (line.label === 'negative') {
      negatives++;
      if (found.length > 0) flagged++;
      continue;
    }
    if (line.label !== 'card' && line.label !== 'cn_id') continue;
    positives++;
    const want = line.expected[0]!;
    if (found.some((f) => f.kind === want.kind && f.start === want.start && f.end === want.end)) hits++;
    else missed.push(line.label);
  }
  return {
    recall: positives === 0 ? 1 : hits / positives,
    falsePositivePct: negatives === 0 ? 0 : (100 * flagged) / negatives,
    positives,
    negatives,
    missed,
  };
}

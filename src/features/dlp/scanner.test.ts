import assert from 'node:assert/strict';
import { test } from 'node:test';
import { placeholderFor, redact } from './redact.ts';
import { scan, type Finding } from './scanner.ts';
import { cnIdValid, ibanValid } from './validators.ts';

const matches = (text: string) => scan(text).map((f) => ({ kind: f.kind, text: text.slice(f.start, f.end) }));
const only = (text: string): Finding => {
  const found = scan(text);
  assert.equal(
    found.length,
    1,
    `one finding expected in ${JSON.stringify(text)}, got ${JSON.stringify(found)}`,
  );
  return found[0]!;
};

test('payment cards of every network are found when the Luhn digit and the issuer range agree', () => {
  for (const card of [
    '4242424242424242', // Visa
    '5555555555554444', // Mastercard 51-55
    '2223003122003222', // Mastercard 2-series
    '378282246310005', // Amex
    '6011111111111117', // Discover
    '3530111333300000', // JCB
    '6200000000000005', // UnionPay
    '6228480402564890018', // UnionPay 19 digits
    '36227206271667', // Diners
  ]) {
    assert.equal(only(`pay with ${card} please`).kind, 'card', card);
  }
  assert.deepEqual(matches('pay with 4242424242424241 please'), []);
  // Right Luhn digit, no network: 9 is no issuer prefix.
  assert.deepEqual(matches('ref 9999999999999995'), []);
});

test('offsets point into the original text, also across full-width digits and separators', () => {
  const text = '卡号：４２４２　４２４２－４２４２．４２４２，谢谢';
  const f = only(text);
  assert.equal(f.kind, 'card');
  assert.equal(text.slice(f.start, f.end), '４２４２　４２４２－４２４２．４２４２');
  const spaced = 'card 4242 4242 4242 4242 exp 09/27';
  const g = only(spaced);
  assert.deepEqual([g.start, g.end], [5, 24]);
});

test('Chinese resident IDs need the MOD 11-2 check character, a real birth date and a known province', () => {
  assert.equal(only('身份证 11010519491231002X').kind, 'cn_id');
  assert.equal(only('身份证 11010519491231002x').kind, 'cn_id');
  assert.equal(only('ID: １１０１０５１９４９１２３１００２Ｘ').kind, 'cn_id');
  const digits = (s: string) => Uint8Array.from(s, (c) => (c === 'X' ? 10 : Number(c)));
  assert.equal(cnIdValid(digits('11010519491231002X'), 0, 2026), true);
  assert.equal(cnIdValid(digits('110105194912310021'), 0, 2026), false, 'wrong check digit');
  assert.equal(cnIdValid(digits('11010519491331002X'), 0, 2026), false, 'month 13');
  assert.equal(cnIdValid(digits('990105194912310027'), 0, 2026), false, 'no province 99');
  assert.equal(cnIdValid(digits('11010520300101002X'), 0, 2026), false, 'born in the future');
  assert.deepEqual(matches('身份证 110105194912310021'), []);
});

test('IBANs are checked by mod 97 and the length of their country', () => {
  assert.equal(only('IBAN DE89 3704 0044 0532 0130 00 thanks').kind, 'iban');
  assert.equal(only('to GB82WEST12345698765432').kind, 'iban');
  assert.equal(ibanValid('DE89370400440532013001'), false);
  assert.equal(ibanValid('DE8937040044053201300'), false, 'one character short for DE');
  assert.deepEqual(matches('to GB82WEST12345698765433'), []);
});

test('bank accounts and passports are found only near their words, in several languages', () => {
  assert.deepEqual(matches('账号 6217 0000 1234 5678'), [
    { kind: 'bank_account', text: '6217 0000 1234 5678' },
  ]);
  assert.deepEqual(matches('account number 12345678901'), [{ kind: 'bank_account', text: '12345678901' }]);
  assert.deepEqual(matches('order 12345678901 shipped'), []);
  assert.deepEqual(matches('passport E12345678'), [{ kind: 'passport', text: 'E12345678' }]);
  assert.deepEqual(matches('护照号码 EA1234567'), [{ kind: 'passport', text: 'EA1234567' }]);
  assert.deepEqual(matches('coupon E12345678'), []);
  assert.ok(only('passport E12345678').confidence < 0.9);
});

test('e-mail addresses and phone numbers are reported, numbers glued to letters are not', () => {
  assert.deepEqual(matches('mail li.wei+shop@example.co.uk now'), [
    { kind: 'email', text: 'li.wei+shop@example.co.uk' },
  ]);
  assert.deepEqual(matches('手机13800138000'), [{ kind: 'phone', text: '13800138000' }]);
  assert.deepEqual(matches('call +86 138 0013 8000'), [{ kind: 'phone', text: '+86 138 0013 8000' }]);
  assert.deepEqual(matches('tracking SF1234567890123 and A4242424242424242'), []);
  assert.deepEqual(matches('server 192.168.100.123 at 2026-11-29 08:15:30'), []);
  assert.deepEqual(matches('not@mail and @@@ a@b'), []);
});

test('adversarial input stays linear: long digit, separator and @ runs finish quickly', () => {
  const inputs = [
    '1 '.repeat(200_000),
    '@'.repeat(400_000),
    'a@'.repeat(200_000),
    '4'.repeat(400_000),
    'DE'.repeat(200_000),
  ];
  for (const input of inputs) {
    const t = performance.now();
    scan(input);
    assert.ok(performance.now() - t < 1500, `slow on ${input.slice(0, 4)}…`);
  }
});

test('redaction cuts restricted spans out and shows what they were', () => {
  const out = redact('card 4242 4242 4242 4242 and ID 11010519491231002X, mail a@example.com');
  assert.ok(out);
  assert.equal(out.text, 'card [card ending 4242] and ID [ID number ending 002X], mail a@example.com');
  assert.deepEqual(
    out.spans.map((s) => s.kind),
    ['card', 'cn_id'],
  );
  assert.equal(redact('hello, where is my parcel?'), null);
  assert.equal(placeholderFor('card', '４２４２ ４２４２ ４２４２ ４２４２'), '[card ending 4242]');
  assert.equal(placeholderFor('passport', 'E12345678'), '[passport number]');
});

test('a first-generation 15-digit ID is found after an ID word only, with a real date and region', () => {
  const id = '110105491231002';
  const f = only(`身份证号码：${id}`);
  assert.equal(f.kind, 'cn_id');
  assert.equal(f.confidence, 0.9);
  assert.deepEqual(matches(`my ID card is 110105 491231 002 thanks`), [
    { kind: 'cn_id', text: '110105 491231 002' },
  ]);
  assert.deepEqual(matches(`身份证 １１０１０５４９１２３１００２`), [
    { kind: 'cn_id', text: '１１０１０５４９１２３１００２' },
  ]);
  for (const text of [
    `tracking ${id}`,
    `Order ID ${id}`,
    id,
    '身份证 110105491331002', // month 13
    '身份证 990105491231002', // no such province
    '身份证 110000491231002', // county part 0000
    '身份证 110105490229002', // 1949 was no leap year
  ])
    assert.deepEqual(
      matches(text).filter((m) => m.kind === 'cn_id'),
      [],
      text,
    );
  assert.equal(only('card 378282246310005').kind, 'card', 'an Amex number after a card word stays a card');
});

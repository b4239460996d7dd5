import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../lib/errors.ts';
import { normalizeEmail, normalizePhone } from './normalize.ts';

test('phone numbers in any common format and WhatsApp ids normalise to one E.164 form', () => {
  for (const input of [
    '+86 138 1234 5678',
    '8613812345678',
    '+86-138-1234-5678',
    '(+86) 13812345678',
    '＋８６１３８１２３４５６７８',
  ]) {
    assert.equal(normalizePhone(input), '+8613812345678', input);
  }
  assert.equal(normalizePhone('1 (415) 555-2671'), '+14155552671');
});

test('something that cannot be a phone number is refused without echoing it', () => {
  for (const input of ['12', 'abc', '+999 1234', '9'.repeat(50)]) {
    assert.throws(
      () => normalizePhone(input),
      (e: Error) => e instanceof ValidationError && !e.message.includes(input),
    );
  }
});

test('e-mail addresses are lower-cased and width-normalised', () => {
  assert.equal(normalizeEmail('  John.Doe@Example.COM '), 'john.doe@example.com');
  assert.equal(normalizeEmail('ｊｏｈｎ@example.com'), 'john@example.com');
  assert.throws(() => normalizeEmail('john@'), ValidationError);
});

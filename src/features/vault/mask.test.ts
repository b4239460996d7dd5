import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskEmail, maskName, maskPhone } from './mask.ts';

test('phone numbers are masked the same way across countries, keeping the country code and last four', () => {
  assert.equal(maskPhone('+8613812345678'), '+86 138****5678');
  assert.equal(maskPhone('+14155552671'), '+1 415****2671');
  assert.equal(maskPhone('+447700900123'), '+44 770****0123');
  assert.equal(maskPhone('+5511987654321'), '+55 119****4321');
  assert.equal(maskPhone('+4915112345678'), '+49 151****5678');
  assert.equal(maskPhone('+35312345678'), '+353 12****5678');
});

test('short national numbers keep fewer digits so most of the number stays hidden', () => {
  const masked = maskPhone('+3726123456');
  assert.ok(masked.startsWith('+372 '));
  const visible = masked.replace(/^\+372 /, '').replace(/\*/g, '');
  assert.ok(visible.length <= 4);
});

test('names keep their first character, in any script', () => {
  assert.equal(maskName('Zhang Wei'), 'Z***');
  assert.equal(maskName('张伟'), '张***');
  assert.equal(maskName('  '), '');
});

test('e-mail addresses keep the first character and the domain', () => {
  assert.equal(maskEmail('john@example.com'), 'j***@example.com');
  assert.equal(maskEmail('not-an-email'), '***');
});

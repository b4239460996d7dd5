import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkedContactInput, parseContactInput } from './contact-input-check.ts';
import { createContactInput } from './contacts.schema.ts';

const base = {
  waId: '8613912345678',
  profileName: 'Wei Zhang',
  email: 'wei@example.com',
  tags: ['vip', 'lead-2026'],
  attributes: { lastOrder: 'ORD-100001', spent: 129.5, optedIn: true, note: null },
};

const many = (n: number, make: (i: number) => [string, unknown]) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => make(i)));

// Each entry replaces fields of `base` (undefined removes one).
const variants: Array<[string, Record<string, unknown>]> = [
  ['as is', {}],
  ['wa id only', { profileName: undefined, email: undefined, tags: undefined, attributes: undefined }],
  ['user id only', { waId: undefined, userId: 'US.1234567890:abc_DEF-x' }],
  ['both ids', { userId: 'US.42' }],
  ['neither id', { waId: undefined }],
  ['explicit phone', { phone: '+86 139 1234 5678' }],
  ['empty phone', { phone: '' }],
  ['phone of 40', { phone: '1'.repeat(40) }],
  ['phone of 41', { phone: '1'.repeat(41) }],
  ['phone as number', { phone: 8613912345678 }],
  ['wa id of 5 digits', { waId: '12345' }],
  ['wa id of 20 digits', { waId: '1'.repeat(20) }],
  ['wa id of 21 digits', { waId: '1'.repeat(21) }],
  ['wa id with a plus', { waId: '+8613912345678' }],
  ['wa id with a newline', { waId: '8613912345678\n' }],
  ['wa id as number', { waId: 8613912345678 }],
  ['user id empty', { userId: '' }],
  ['user id of 128', { userId: 'u'.repeat(128) }],
  ['user id of 129', { userId: 'u'.repeat(129) }],
  ['user id with a space', { userId: 'US 1' }],
  ['empty name', { profileName: '' }],
  ['name of 256', { profileName: 'n'.repeat(256) }],
  ['name of 257', { profileName: 'n'.repeat(257) }],
  ['name in Chinese', { profileName: '张伟' }],
  ['name as null', { profileName: null }],
  ['email of 254', { email: 'e'.repeat(254) }],
  ['email of 255', { email: 'e'.repeat(255) }],
  ['no tags', { tags: [] }],
  ['50 tags', { tags: Array.from({ length: 50 }, (_, i) => `t${i}`) }],
  ['51 tags', { tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }],
  ['tag of digits only', { tags: ['123'] }],
  ['tag upper case', { tags: ['VIP'] }],
  ['tag of 40', { tags: [`a${'b'.repeat(39)}`] }],
  ['tag of 41', { tags: [`a${'b'.repeat(40)}`] }],
  ['tag starting with a dash', { tags: ['-vip'] }],
  ['sparse tags', { tags: [, 'vip'] }], // eslint-disable-line no-sparse-arrays
  ['tag as number', { tags: [7] }],
  ['tags as string', { tags: 'vip' }],
  ['no attributes', { attributes: {} }],
  ['50 attributes', { attributes: many(50, (i) => [`a${i}`, i]) }],
  ['51 attributes', { attributes: many(51, (i) => [`a${i}`, i]) }],
  ['attribute key of 64', { attributes: { ['k'.repeat(64)]: 1 } }],
  ['attribute key of 65', { attributes: { ['k'.repeat(65)]: 1 } }],
  ['attribute empty key', { attributes: { '': 1 } }],
  ['attribute text of 2000', { attributes: { a: 'x'.repeat(2000) } }],
  ['attribute text of 2001', { attributes: { a: 'x'.repeat(2001) } }],
  ['attribute NaN', { attributes: { a: Number.NaN } }],
  ['attribute Infinity', { attributes: { a: Number.POSITIVE_INFINITY } }],
  ['attribute object', { attributes: { a: { b: 1 } } }],
  ['attribute array', { attributes: { a: [1] } }],
  ['attribute undefined', { attributes: { a: undefined } }],
  ['attribute __proto__ (from JSON)', { attributes: JSON.parse('{"__proto__": 1, "a": 2}') as unknown }],
  ['attributes as array', { attributes: [1, 2] }],
  ['attributes as Map', { attributes: new Map([['a', 1]]) }],
  ['attributes without a prototype', { attributes: Object.assign(Object.create(null) as object, { a: 1 }) }],
  ['unknown key (the schema drops it)', { note: 'hello' }],
  ['key present as undefined', { email: undefined }],
];

test('the fast contact check never accepts what the schema rejects, and returns what the schema returns', () => {
  for (const [name, change] of variants) {
    const input: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(change)) input[key] = value;
    for (const key of Object.keys(change))
      if (change[key] === undefined && key !== 'email') delete input[key];
    const fast = checkedContactInput(input);
    const schema = createContactInput.safeParse(input);
    if (fast !== undefined) {
      assert.ok(schema.success, `${name}: accepted by the fast check, rejected by the schema`);
      assert.deepStrictEqual(fast, schema.data, `${name}: differs from the schema's result`);
    }
  }
});

test('the common shapes take the fast path, and its result is a copy', () => {
  for (const name of ['as is', 'wa id only', 'user id only', 'explicit phone', '50 attributes']) {
    const change = variants.find(([n]) => n === name)![1];
    const input: Record<string, unknown> = { ...base, ...change };
    for (const key of Object.keys(change)) if (change[key] === undefined) delete input[key];
    assert.notEqual(checkedContactInput(input), undefined, `${name} takes the fast path`);
  }
  const input = { ...base, tags: ['vip'], attributes: { a: 1 } };
  const out = checkedContactInput(input)!;
  input.tags.push('lead');
  input.attributes.a = 2;
  assert.deepEqual(out.tags, ['vip']);
  assert.deepEqual(out.attributes, { a: 1 });
});

test('input the fast check declines is judged by the schema, with its message', () => {
  assert.throws(() => parseContactInput({ profileName: 'Z' }), /a contact needs a waId or a userId/);
  assert.throws(() => parseContactInput({ waId: '123' }), /waId must be 6–20 digits/);
  assert.deepEqual(parseContactInput({ waId: '8613912345678', note: 'x' }), { waId: '8613912345678' });
});

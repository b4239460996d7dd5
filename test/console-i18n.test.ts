import assert from 'node:assert/strict';
import { test } from 'node:test';
import { en } from '../web/src/i18n/en.ts';
import { zh } from '../web/src/i18n/zh.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('the English and Chinese dictionaries have exactly the same keys, all filled in', () => {
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  for (const [key, value] of Object.entries(zh)) assert.ok(value.trim().length > 0, key);
});

test('every translation keeps the placeholders of the English string', () => {
  for (const key of Object.keys(en) as (keyof typeof en)[])
    assert.deepEqual(placeholders(zh[key]), placeholders(en[key]), key);
});

test('Chinese strings are in Chinese, apart from names and units that stay as they are', () => {
  const same = (Object.keys(en) as (keyof typeof en)[]).filter((k) => en[k] === zh[k]);
  assert.deepEqual(same.sort(), ['app.title', 'lang.en', 'lang.zh', 'unit.kb', 'unit.mb']);
});

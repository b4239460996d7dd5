import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_OPT_IN_KEYWORDS,
  DEFAULT_OPT_OUT_KEYWORDS,
  buttonIntent,
  compileKeywords,
} from './keywords.ts';

const defaults = compileKeywords(DEFAULT_OPT_OUT_KEYWORDS, DEFAULT_OPT_IN_KEYWORDS);

test('whole-message keywords match after trimming, case and width folding', () => {
  for (const text of [
    'STOP',
    ' stop ',
    'Stop\n',
    'ＳＴＯＰ',
    'ｓｔｏｐ',
    'unsubscribe',
    '退订',
    ' 取消订阅 ',
    'td',
    'ＴＤ',
  ])
    assert.equal(defaults.match(text), 'opt_out', text);
  for (const text of ['START', 'start', 'ＳＴＡＲＴ', 'Resume'])
    assert.equal(defaults.match(text), 'opt_in', text);
});

test('a keyword inside a longer message is not a match', () => {
  for (const text of [
    'please stop',
    'STOP!',
    'stopping by later',
    'I want to 退订 maybe',
    '',
    'x'.repeat(5000),
  ])
    assert.equal(defaults.match(text), undefined, text);
});

test('tenant keyword lists replace the defaults and opt-out wins over opt-in', () => {
  const custom = compileKeywords(['BASTA', 'stop all'], ['basta', 'GO']);
  assert.equal(custom.match('basta'), 'opt_out');
  assert.equal(custom.match('STOP   ALL'), 'opt_out');
  assert.equal(custom.match('go'), 'opt_in');
  assert.equal(custom.match('STOP'), undefined);
});

test('quick-reply buttons are read from the payload, then the text', () => {
  assert.equal(buttonIntent('Stop promotions', 'Stop promotions'), 'opt_out');
  assert.equal(buttonIntent('Unsubscribe', undefined), 'opt_out');
  assert.equal(buttonIntent('ORDER-123', 'Stop promotions'), 'opt_out');
  assert.equal(buttonIntent('Resume promotions', undefined), 'opt_in');
  assert.equal(buttonIntent('Track my order', 'Track my order'), undefined);
});

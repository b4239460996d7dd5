import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KNOWN_COUNTRIES } from './countries.ts';
import { countriesSpeaking, KNOWN_LANGUAGES, languagesOf } from './languages.ts';

test('every country a phone number can name has at least one ISO 639-1 language', () => {
  for (const country of KNOWN_COUNTRIES) {
    assert.ok(languagesOf(country).length > 0, country);
    for (const l of languagesOf(country)) assert.match(l, /^[a-z]{2}$/, country);
  }
  assert.deepEqual(languagesOf('ZZ'), []);
});

test('a language reaches every country that speaks it, including multi-language ones', () => {
  assert.deepEqual(countriesSpeaking(['de']).sort(), ['AT', 'BE', 'CH', 'DE']);
  assert.deepEqual(countriesSpeaking(['it']).sort(), ['CH', 'IT']);
  assert.deepEqual(countriesSpeaking(['hi']), ['IN']);
  assert.ok(countriesSpeaking(['en']).includes('IN'));
  assert.deepEqual(countriesSpeaking(['pt', 'ja']).sort(), ['BR', 'JP', 'PT']);
  assert.deepEqual(countriesSpeaking([]), []);
  assert.equal(KNOWN_LANGUAGES.has('xx'), false);
});

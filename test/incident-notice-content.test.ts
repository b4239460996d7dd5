import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { categoriesText, noticeParameters } from '../src/features/incidents/notice-content.ts';

const facts = {
  reference: 'in_0123456789',
  fields: ['phone', 'profileName'],
  contact: 'Data Protection Officer,\n dpo@shop.example',
  occurred: '2026-11-28T21:14:00.000Z',
  language: 'pt_BR',
};

describe('breach notice template variables', () => {
  test("named variables carry the reference, this customer's data categories in their language, the contact point and the date", () => {
    const params = noticeParameters(
      { named: true, parameters: ['case_reference', 'data_categories', 'dpo_contact', 'breach_date'] },
      facts,
    );
    assert.deepEqual(params, [
      { type: 'text', text: 'in_0123456789', parameter_name: 'case_reference' },
      { type: 'text', text: 'número de telefone, nome', parameter_name: 'data_categories' },
      { type: 'text', text: 'Data Protection Officer, dpo@shop.example', parameter_name: 'dpo_contact' },
      { type: 'text', text: '2026-11-28', parameter_name: 'breach_date' },
    ]);
  });

  test('positional variables follow the documented order; extra ones repeat the reference', () => {
    const params = noticeParameters(
      { named: false, parameters: ['1', '2', '3', '4', '5'] },
      {
        ...facts,
        language: 'en_US',
        fields: ['email'],
      },
    );
    assert.deepEqual(
      params.map((p) => p.text),
      [
        'in_0123456789',
        'e-mail address',
        'Data Protection Officer, dpo@shop.example',
        '2026-11-28',
        'in_0123456789',
      ],
    );
    assert.ok(params.every((p) => !('parameter_name' in p)));
  });

  test('no contact point configured, fields unknown (sealed), a language without labels: never an empty variable', () => {
    const params = noticeParameters(
      { named: false, parameters: ['1', '2', '3'] },
      {
        ...facts,
        contact: '  ',
        fields: null,
        language: 'sw_KE',
      },
    );
    assert.deepEqual(
      params.map((p) => p.text),
      ['in_0123456789', 'contact details', 'in_0123456789'],
    );
    assert.equal(categoriesText(['phone', 'email'], 'zh_CN'), '手机号码、电子邮箱');
    assert.equal(categoriesText([], 'de_DE'), 'Kontaktdaten');
  });
});

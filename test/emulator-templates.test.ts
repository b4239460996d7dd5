import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import type { Emulator } from '../src/features/whatsapp/emulator/index.ts';
import { emulatorFor, errorOf, graph } from './emulator-support.ts';

/** The listing shape of `GET /{waba-id}/message_templates`. */
const component = z.object({
  type: z.enum(['HEADER', 'BODY', 'FOOTER', 'BUTTONS']),
  format: z.enum(['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT']).optional(),
  text: z.string().optional(),
  example: z
    .object({
      header_text: z.array(z.string()).optional(),
      header_handle: z.array(z.string().url()).optional(),
      body_text: z.array(z.array(z.string())).optional(),
      body_text_named_params: z.array(z.object({ param_name: z.string(), example: z.string() })).optional(),
    })
    .strict()
    .optional(),
  buttons: z.array(z.object({ type: z.string(), text: z.string() }).passthrough()).optional(),
});
const templateShape = z
  .object({
    name: z.string().regex(/^[a-z0-9_]+$/),
    parameter_format: z.enum(['NAMED', 'POSITIONAL']),
    components: z.array(component).min(1),
    language: z.string().regex(/^[a-z]{2}(_[A-Z]{2})?$/),
    status: z.enum(['APPROVED', 'PENDING', 'REJECTED']),
    category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']),
    id: z.string().regex(/^\d+$/),
  })
  .strict();
const listing = z.object({
  data: z.array(templateShape),
  paging: z.object({
    cursors: z.object({ before: z.string(), after: z.string() }),
    next: z.string().url().optional(),
    previous: z.string().url().optional(),
  }),
});

describe('Cloud API emulator: templates and the phone number', () => {
  let emulator: Emulator;
  const templatesPath = () => `/v23.0/${emulator.settings.wabaId}/message_templates`;

  before(async () => {
    emulator = await emulatorFor(undefined);
  });
  after(() => emulator.close());

  test('the template listing has the paged shape with every status, category and parameter style', async () => {
    const answer = await graph(emulator, 'GET', templatesPath());
    assert.equal(answer.status, 200, answer.text);
    const { data } = listing.parse(answer.body);
    assert.deepEqual(new Set(data.map((t) => t.status)), new Set(['APPROVED', 'PENDING', 'REJECTED']));
    assert.deepEqual(
      new Set(data.map((t) => t.category)),
      new Set(['MARKETING', 'UTILITY', 'AUTHENTICATION']),
    );
    assert.deepEqual(new Set(data.map((t) => t.parameter_format)), new Set(['NAMED', 'POSITIONAL']));
    const order = data.find((t) => t.name === 'order_confirmation' && t.language === 'en_US')!;
    assert.deepEqual(
      order.components[0]?.example?.body_text_named_params?.map((p) => p.param_name),
      ['first_name', 'order_number'],
    );
    const sale = data.find((t) => t.name === 'summer_sale')!;
    assert.equal(sale.components[0]?.format, 'IMAGE');
    assert.ok(sale.components[0]?.example?.header_handle?.length);
    const shipping = data.find((t) => t.name === 'shipping_update')!;
    assert.deepEqual(shipping.components[1]?.example?.body_text, [
      ['Pablo', '1Z999AA10123456784', 'tomorrow'],
    ]);
    assert.equal(new Set(data.filter((t) => t.name === 'order_confirmation').map((t) => t.language)).size, 2);
  });

  test('paging walks every template through next links and cursors; filters and fields narrow the answer', async () => {
    const all = listing.parse((await graph(emulator, 'GET', templatesPath())).body).data;
    const seen: string[] = [];
    let page = listing.parse((await graph(emulator, 'GET', `${templatesPath()}?limit=3`)).body);
    for (;;) {
      assert.ok(page.data.length <= 3);
      seen.push(...page.data.map((t) => t.id));
      if (!page.paging.next) break;
      const next = new URL(page.paging.next);
      assert.equal(next.origin, emulator.url);
      page = listing.parse((await graph(emulator, 'GET', next.pathname + next.search)).body);
    }
    assert.deepEqual(
      seen,
      all.map((t) => t.id),
    );
    const approved = (await graph(emulator, 'GET', `${templatesPath()}?status=APPROVED`)).body.data as {
      status: string;
    }[];
    assert.ok(approved.length > 0 && approved.every((t) => t.status === 'APPROVED'));
    const narrow = await graph(
      emulator,
      'GET',
      `${templatesPath()}?fields=name,status&limit=1&summary=total_count`,
    );
    const narrowed = z
      .object({
        data: z.array(z.record(z.unknown())).length(1),
        summary: z.object({ total_count: z.number() }),
      })
      .parse(narrow.body);
    assert.deepEqual(Object.keys(narrowed.data[0]!), ['name', 'status', 'id']);
    assert.equal(narrowed.summary.total_count, all.length);
  });

  test('phone-number fields report throughput, the messaging limit tier, quality and name', async () => {
    const fields =
      'throughput,whatsapp_business_manager_messaging_limit,quality_rating,verified_name,display_phone_number';
    const answer = await graph(emulator, 'GET', `/v23.0/${emulator.settings.phoneNumberId}?fields=${fields}`);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body, {
      throughput: { level: 'STANDARD' },
      whatsapp_business_manager_messaging_limit: 'TIER_250',
      quality_rating: 'GREEN',
      verified_name: emulator.settings.verifiedName,
      display_phone_number: `+${emulator.settings.displayPhoneNumber}`,
      id: emulator.settings.phoneNumberId,
    });
    const defaults = await graph(emulator, 'GET', `/v23.0/${emulator.settings.phoneNumberId}`);
    assert.deepEqual(Object.keys(defaults.body), [
      'verified_name',
      'code_verification_status',
      'display_phone_number',
      'quality_rating',
      'platform_type',
      'throughput',
      'id',
    ]);
    const unknown = await graph(
      emulator,
      'GET',
      `/v23.0/${emulator.settings.phoneNumberId}?fields=secret_field`,
    );
    assert.equal(errorOf(unknown).code, 100);
    assert.match(errorOf(unknown).error_data.details, /nonexisting field \(secret_field\)/);
  });

  test('an upgraded number reports the HIGH throughput level and its own tier', async () => {
    const upgraded = await emulatorFor(undefined, { throughput: 1000, messagingLimitTier: 'TIER_UNLIMITED' });
    try {
      const fields = 'throughput,whatsapp_business_manager_messaging_limit';
      const { body } = await graph(
        upgraded,
        'GET',
        `/v24.0/${upgraded.settings.phoneNumberId}?fields=${fields}`,
      );
      assert.deepEqual(body.throughput, { level: 'HIGH' });
      assert.equal(body.whatsapp_business_manager_messaging_limit, 'TIER_UNLIMITED');
    } finally {
      await upgraded.close();
    }
  });

  test('POST with a pin sets two-step verification; a malformed pin is (#100) and never echoed', async () => {
    const path = `/v23.0/${emulator.settings.phoneNumberId}`;
    assert.equal(emulator.checkPin('150954'), false);
    const set = await graph(emulator, 'POST', path, { pin: '150954' });
    assert.deepEqual(set.body, { success: true });
    assert.equal(emulator.checkPin('150954'), true);
    assert.equal(emulator.checkPin('150955'), false);
    const enabled = await graph(emulator, 'GET', `${path}?fields=is_pin_enabled`);
    assert.equal(enabled.body.is_pin_enabled, true);
    const bad = await graph(emulator, 'POST', path, { pin: '12a456' });
    assert.equal(errorOf(bad).code, 100);
    assert.ok(!bad.text.includes('12a456'));
    assert.equal(emulator.checkPin('150954'), true);
    assert.equal(emulator.stats().pinChanges, 1);
  });
});

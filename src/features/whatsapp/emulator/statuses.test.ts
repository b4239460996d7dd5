import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Update } from './payloads.ts';
import type { Customer } from './population.ts';
import { createRandom } from './random.ts';
import { StatusLifecycle, type Outbound, type StatusName } from './statuses.ts';

const reader = { index: 0, behaviour: 'reads', userId: 'US.1' } as unknown as Customer;

const message = (id: string, type: string): Outbound => ({
  id,
  customer: reader,
  recipientId: '16505550100',
  byUserId: false,
  type,
  category: 'service',
  pricingType: 'free_customer_service',
  version: 'v24.0',
  bizOpaque: undefined,
  failure: undefined,
});

/** Keeps the event loop busy, as a loaded machine does. */
const stall = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

test('a stalled event loop delays status progressions but never reorders them', async () => {
  const seen = new Map<string, StatusName[]>();
  const updates: Update[] = [];
  const lifecycle = new StatusLifecycle({
    delaysMs: { sent: 5, delivered: 15, read: 30 },
    random: createRandom(1),
    unixNow: () => 1_800_000_000,
    emit: (u) => updates.push(u),
    onStatus: (id, status) => seen.set(id, [...(seen.get(id) ?? []), status]),
  });
  // A first message's timers are pending when a voice note follows 20 ms later; then the loop stalls
  // past every due time. With one timer per status, the voice note's `read` (a list created earlier,
  // so processed first) ran before its own `sent`.
  lifecycle.schedule(message('wamid.first', 'text'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  lifecycle.schedule(message('wamid.voice', 'audio'));
  stall(80);
  await new Promise((resolve) => setTimeout(resolve, 150));
  lifecycle.close();
  assert.deepEqual(seen.get('wamid.first'), ['sent', 'delivered', 'read']);
  assert.deepEqual(seen.get('wamid.voice'), ['sent', 'delivered', 'read', 'played']);
  assert.equal(updates.length, 7);
});

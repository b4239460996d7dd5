import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeCustomers } from '../../src/features/demo/fake-customers.ts';
import { findLeaks } from './scan.ts';

test('the leak scanner finds each kind of needle in each encoding, and nothing in random bytes', () => {
  const people = fakeCustomers(5, 3);
  const noise = Buffer.alloc(4096, 0x5a);
  assert.deepEqual(findLeaks(noise, people), []);
  const cases: Array<[number, Buffer]> = [
    [0, Buffer.from(people[0]!.phone.slice(1))],
    [1, Buffer.from(people[1]!.profileName, 'utf16le')],
    [2, Buffer.from(Buffer.from(people[2]!.email).toString('hex'))],
    [3, Buffer.from(people[3]!.phone, 'utf16le').swap16()],
    [4, Buffer.from(Buffer.from(people[4]!.profileName).toString('base64').replace(/=+$/, ''))],
  ];
  for (const [index, bytes] of cases) {
    assert.deepEqual(findLeaks(Buffer.concat([noise, bytes, noise]), people), [index]);
  }
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { InvalidSharesError, ValidationError } from '../errors.ts';
import { combineShares, splitSecret } from './shamir.ts';

const secret = randomBytes(32);
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** CRC-16/CCITT-FALSE written independently of the implementation under test. */
function crc16(text: string): string {
  let crc = 0xffff;
  for (const byte of Buffer.from(text, 'ascii')) {
    for (let bit = 7; bit >= 0; bit--) {
      const top = ((crc >> 15) & 1) ^ ((byte >> bit) & 1);
      crc = ((crc << 1) & 0xffff) ^ (top ? 0x1021 : 0);
    }
  }
  return crc.toString(16).padStart(4, '0');
}

function withCrc(withoutCrc: string): string {
  return `${withoutCrc}-${crc16(withoutCrc)}`;
}

function parts(share: string): string[] {
  return share.split('-');
}

async function rejectsShares(shares: string[], reason: RegExp): Promise<void> {
  await assert.rejects(combineShares(shares), (err: unknown) => {
    assert.ok(err instanceof InvalidSharesError, `expected InvalidSharesError, got ${String(err)}`);
    assert.match(err.message, reason);
    assert.ok(!err.message.includes('\n'), 'the reason is one line');
    for (const share of shares)
      assert.ok(!err.message.includes(parts(share)[3]!), 'no share body in the message');
    return true;
  });
}

test('shares follow the documented format and carry a CRC-16/CCITT-FALSE', async () => {
  assert.equal(crc16('123456789'), '29b1'); // the algorithm's published check value
  const shares = await splitSecret(secret, 5, 3);
  assert.equal(shares.length, 5);
  const setIds = new Set<string>();
  for (const share of shares) {
    assert.match(share, /^cvs1-[0-9a-f]{8}-3-[0-9a-hjkmnp-tv-z]+-[0-9a-f]{4}$/);
    assert.equal(share, withCrc(share.slice(0, share.lastIndexOf('-'))));
    setIds.add(parts(share)[1]!);
  }
  assert.equal(setIds.size, 1);
});

test('any 3 of 5 shares recover the secret, as do 4 or all 5', async () => {
  const shares = await splitSecret(secret, 5, 3);
  for (let a = 0; a < 5; a++) {
    for (let b = a + 1; b < 5; b++) {
      for (let c = b + 1; c < 5; c++) {
        assert.deepEqual(await combineShares([shares[c]!, shares[a]!, shares[b]!]), secret);
      }
    }
  }
  assert.deepEqual(await combineShares(shares.slice(1)), secret);
  assert.deepEqual(await combineShares(shares), secret);
});

test('shares are accepted in upper case and with surrounding whitespace', async () => {
  const shares = await splitSecret(secret, 3, 2);
  assert.deepEqual(await combineShares([` ${shares[0]!.toUpperCase()}\n`, shares[2]!]), secret);
});

test('fewer shares than the threshold are refused', async () => {
  const shares = await splitSecret(secret, 5, 3);
  await rejectsShares(shares.slice(0, 2), /at least 3 shares are needed, 2 given/);
  await rejectsShares(shares.slice(0, 1), /at least 3 shares are needed, 1 given/);
  await assert.rejects(combineShares([]), InvalidSharesError);
});

test('a share with any single character changed is refused as mistyped', async () => {
  const shares = await splitSecret(secret, 3, 2);
  const share = shares[1]!;
  for (let at = 0; at < share.length; at++) {
    const old = share[at]!;
    const replacement = old === '-' ? 'x' : ALPHABET[(ALPHABET.indexOf(old) + 1) % 16]!;
    const typo = share.slice(0, at) + replacement + share.slice(at + 1);
    await rejectsShares([shares[0]!, typo], /share 2 is malformed or mistyped/);
  }
});

test('a share from another split is refused as a different set', async () => {
  const [a1, a2] = await splitSecret(secret, 3, 2);
  const [b1] = await splitSecret(secret, 3, 2);
  await rejectsShares([a1!, b1!], /share 2 comes from a different set/);
  // Same set id but a different threshold is just as inconsistent.
  const [, setId, , body] = parts(a2!);
  await rejectsShares([a1!, withCrc(`cvs1-${setId}-3-${body}`)], /different set/);
});

test('a forged share with a valid checksum but a wrong body is caught by the secret checksum', async () => {
  const [s1, s2] = await splitSecret(secret, 3, 2);
  const [, setId, threshold, body] = parts(s2!);
  const first = body![0]!;
  const forgedBody = ALPHABET[(ALPHABET.indexOf(first) + 1) % 32]! + body!.slice(1);
  const forged = withCrc(`cvs1-${setId}-${threshold}-${forgedBody}`);
  await rejectsShares([s1!, forged], /wrong share set/);
});

test('duplicate shares are refused, even when enough distinct shares remain', async () => {
  const shares = await splitSecret(secret, 5, 3);
  await rejectsShares([shares[0]!, shares[1]!, shares[0]!], /share 3 is a duplicate of share 1/);
  await rejectsShares([shares[0]!, shares[1]!, shares[2]!, shares[1]!.toUpperCase()], /duplicate/);
});

test('split parameters outside 2 <= threshold <= shares <= 255 are refused', async () => {
  for (const [n, k] of [
    [5, 1],
    [5, 6],
    [256, 3],
    [1, 1],
    [5, 2.5],
    [Number.NaN, 2],
  ] as const) {
    await assert.rejects(splitSecret(secret, n, k), ValidationError, `n=${n} k=${k}`);
  }
  await assert.rejects(splitSecret(new Uint8Array(0), 3, 2), ValidationError);
});

test('the bounds themselves work: 2-of-2 and 255-of-255', async () => {
  assert.deepEqual(await combineShares(await splitSecret(secret, 2, 2)), secret);
  const many = await splitSecret(secret, 255, 255);
  assert.deepEqual(await combineShares(many), secret);
  await rejectsShares(many.slice(1), /at least 255 shares are needed, 254 given/);
});

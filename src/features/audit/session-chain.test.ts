import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { test } from 'node:test';
import Fastify from 'fastify';
import { canonicalEntry, chainHash, chainHashHex, type ChainedEntry } from './chain.ts';
import { createRequestScope } from './request-scope.ts';

const entry: ChainedEntry = {
  seq: 41,
  id: 'ae_01hzzzzzzzzzzzzzzzzzzzzzzz',
  tenantId: 'tn_01hzzzzzzzzzzzzzzzzzzzzzzz',
  time: '2031-03-04T10:00:00.000Z',
  actorType: 'operator',
  actorId: 'op_01hzzzzzzzzzzzzzzzzzzzzzzz',
  action: 'sensitive_read',
  targetType: 'contact',
  targetId: 'ct_01hzzzzzzzzzzzzzzzzzzzzzzz',
  outcome: 'success',
  reasonCt: Buffer.from('0102', 'hex'),
  detailCt: null,
  subjectId: 'ct_01hzzzzzzzzzzzzzzzzzzzzzzz',
  policyIds: '["agent-assigned"]',
  clientIp: '192.0.2.7',
  requestId: 'rq_1',
};
const previous = Buffer.alloc(32, 7);

test('an entry without a session hashes exactly as before sessions existed (format 1)', () => {
  // Computed with the format-1 encoder as shipped before the session field (git HEAD 699d529).
  const before = 'bc9463802faa3e9670e63a83834f741f9d9625b2d030754a09e34f76e9cc37b3';
  assert.equal(chainHash(previous, entry).toString('hex'), before);
  assert.equal(chainHash(previous, { ...entry, sessionId: null }).toString('hex'), before);
  assert.deepEqual(
    canonicalEntry({ ...entry, sessionId: null }).subarray(0, 4),
    Buffer.from('CVA\x01', 'latin1'),
  );
});

test('an entry with a session is format 2, and the session is covered by the hash', () => {
  const withSession = canonicalEntry({ ...entry, sessionId: 'se_1' });
  assert.deepEqual(withSession.subarray(0, 4), Buffer.from('CVA\x02', 'latin1'));
  // Format 2 is format 1's fields plus the length-prefixed session id.
  const v1 = canonicalEntry(entry);
  assert.deepEqual(withSession.subarray(4, v1.length), v1.subarray(4));
  assert.equal(withSession.readUInt32BE(v1.length), 4);
  assert.equal(withSession.subarray(v1.length + 4).toString('utf8'), 'se_1');
  const hashes = new Set(
    [undefined, null, '', 'se_1', 'se_2'].map((sessionId) =>
      chainHash(previous, { ...entry, sessionId }).toString('hex'),
    ),
  );
  assert.equal(hashes.size, 4, 'absent and null agree; every session value differs');
  const expected = createHash('sha256')
    .update(Buffer.concat([Buffer.of(0), previous, withSession]))
    .digest('hex');
  assert.equal(chainHash(previous, { ...entry, sessionId: 'se_1' }).toString('hex'), expected);
});

test("the verifier's hex path hashes sessions exactly as the sequencer does", () => {
  for (const sessionId of [null, 'se_1', 'se_01hzzzzzzzzzzzzzzzzzzzzzzz']) {
    const e = { ...entry, sessionId };
    const { reasonCt, detailCt, ...rest } = e;
    const asRead = {
      ...rest,
      reasonCtHex: reasonCt === null ? null : Buffer.from(reasonCt).toString('hex'),
      detailCtHex: detailCt === null ? null : Buffer.from(detailCt).toString('hex'),
    };
    assert.equal(chainHashHex(previous.toString('hex'), asRead), chainHash(previous, e).toString('hex'));
  }
});

test('the request scope names the session only to entries of that same signed-in request', async () => {
  const scope = createRequestScope();
  const app = Fastify();
  app.addHook('onRequest', (request, _reply, done) => {
    const who = request.headers['x-session'];
    if (typeof who === 'string') (request as unknown as { sid: string }).sid = who;
    done();
  });
  scope.register(app, (request) => (request as unknown as { sid?: string }).sid);
  let later: Promise<string | undefined> = Promise.resolve(undefined);
  app.post('/act', async (request) => {
    await new Promise((r) => setTimeout(r, 5));
    const mine = scope.sessionOf(request.id);
    // Work started in this request that names another request gets no session from this one.
    later = new Promise((resolve) => setTimeout(() => resolve(scope.sessionOf('rq_other')), 10));
    return {
      mine: mine ?? null,
      other: scope.sessionOf('rq_other') ?? null,
      none: scope.sessionOf(undefined) ?? null,
    };
  });
  try {
    const signedIn = await app.inject({
      method: 'POST',
      url: '/act',
      headers: { 'x-session': 'se_a', 'content-type': 'application/json' },
      payload: JSON.stringify({ big: 'x'.repeat(100_000) }),
    });
    assert.deepEqual(signedIn.json(), { mine: 'se_a', other: null, none: null });
    assert.equal(await later, undefined);
    // Over a real socket, with the body arriving in pieces (socket callbacks, not the request's own).
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const streamed = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        `${url}/act`,
        { method: 'POST', headers: { 'x-session': 'se_b', 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.write('{"big":"');
      setTimeout(() => req.end('xyz"}'), 50);
    });
    assert.deepEqual(JSON.parse(streamed), { mine: 'se_b', other: null, none: null });
    const anonymous = await app.inject({ method: 'POST', url: '/act', payload: { a: 1 } });
    assert.deepEqual(anonymous.json(), { mine: null, other: null, none: null });
    assert.equal(scope.sessionOf('anything'), undefined, 'outside any request there is no session');
    assert.equal(scope.inFlight, 0, 'finished requests leave nothing behind');
  } finally {
    await app.close();
  }
});

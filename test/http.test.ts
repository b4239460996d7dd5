import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { secure } from '../src/http/route-security.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

for (const target of databaseTargets()) {
  describe(`HTTP skeleton (${target.name})`, () => {
    let t: TestRuntime;
    let app: FastifyInstance;

    before(async () => {
      t = await startTestRuntime(target);
      app = buildApp(t.runtime);
      app.get('/probe/crash', secure.by('public', 'a test-only probe route'), () => {
        throw new Error('secret detail +8613812345678 must stay inside');
      });
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    test('healthz answers ok and readyz reports unsealed with the database up', async () => {
      assert.deepEqual((await app.inject('/healthz')).json(), { status: 'ok' });
      const ready = await app.inject('/readyz');
      assert.equal(ready.statusCode, 200);
      assert.deepEqual(ready.json(), { status: 'ready', sealed: false, database: 'up' });
    });

    test('every answer carries a request id, and a well-formed incoming id is kept', async () => {
      const fresh = await app.inject('/healthz');
      assert.match(String(fresh.headers['x-request-id']), /^rq_[0-9a-z]{26}$/);
      const kept = await app.inject({
        url: '/healthz',
        headers: { 'x-request-id': 'rq_0123456789abcdefghjkmnpqrs' },
      });
      assert.equal(kept.headers['x-request-id'], 'rq_0123456789abcdefghjkmnpqrs');
      const refused = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'evil\r\nx: y' } });
      assert.notEqual(refused.headers['x-request-id'], 'evil\r\nx: y');
    });

    test('an unknown server route answers 404 in the one error shape (other paths belong to the console)', async () => {
      const res = await app.inject('/api/v1/nope');
      assert.equal(res.statusCode, 404);
      const body = res.json<{ error: { code: string; message: string }; requestId: string }>();
      assert.equal(body.error.code, 'not_found');
      assert.equal(body.requestId, res.headers['x-request-id']);
    });

    test('malformed JSON, a wrong share shape and an oversized body are 4xx with a one-line reason', async () => {
      const broken = await app.inject({
        method: 'POST',
        url: '/api/v1/sys/unseal',
        headers: { 'content-type': 'application/json' },
        payload: '{"share": ',
      });
      assert.equal(broken.statusCode, 400);
      assert.equal(broken.json<{ error: { code: string } }>().error.code, 'bad_request');
      const wrongShape = await app.inject({
        method: 'POST',
        url: '/api/v1/sys/unseal',
        payload: { share: 1 },
      });
      assert.equal(wrongShape.statusCode, 400);
      assert.equal(wrongShape.json<{ error: { code: string } }>().error.code, 'validation_failed');
      const huge = await app.inject({
        method: 'POST',
        url: '/api/v1/sys/unseal',
        payload: { share: 'x'.repeat(2 * 1024 * 1024) },
      });
      assert.equal(huge.statusCode, 413);
    });

    test('an unexpected error is a plain 500 that reveals nothing, and its log is scrubbed', async () => {
      const res = await app.inject('/probe/crash');
      assert.equal(res.statusCode, 500);
      assert.deepEqual(res.json<{ error: unknown }>().error, { code: 'internal', message: 'Internal error' });
      assert.ok(!res.body.includes('8613812345678'));
      const logged = t.logs.join('');
      assert.ok(logged.includes('unhandled error'));
      assert.ok(!logged.includes('8613812345678'));
    });

    test('the OpenAPI document lists the public endpoints', async () => {
      const doc = (await app.inject('/api/openapi.json')).json<{ paths: Record<string, unknown> }>();
      for (const path of ['/healthz', '/readyz', '/api/v1/sys/unseal']) assert.ok(path in doc.paths);
    });
  });
}

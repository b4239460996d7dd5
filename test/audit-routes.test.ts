import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Fastify from 'fastify';
import { mapError } from '../src/http/error-mapper.ts';
import { auditRoutes } from '../src/features/audit/audit.routes.ts';
import { chainHash } from '../src/features/audit/chain.ts';
import {
  checkpointFromJson,
  publicKeyFromSpki,
  verifyCheckpoint,
  type CheckpointJson,
} from '../src/features/audit/checkpoint.ts';
import { chainedFromJson, type AuditEntryJson } from '../src/features/audit/entry-json.ts';
import type { ConsistencyProof, InclusionProof } from '../src/features/audit/proofs.ts';
import { verifyConsistency, verifyInclusion } from '../src/features/audit/merkle.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { ForbiddenError, UnauthenticatedError } from '../src/lib/errors.ts';
import { someEvent } from './support/audit.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

const unhex = (s: string) => Buffer.from(s, 'hex');

/** Stands in for operator sign-in (issue 4): the tenant and role come from test headers. */
async function authorize(request: FastifyRequest) {
  const tenantId = request.headers['x-test-tenant'];
  if (typeof tenantId !== 'string') throw new UnauthenticatedError();
  if (request.headers['x-test-role'] !== 'auditor') throw new ForbiddenError();
  return Promise.resolve({ tenantId, actorId: 'op_auditor' });
}

for (const target of databaseTargets()) {
  describe(`the auditor API (${target.name})`, () => {
    let t: TestRuntime;
    let app: FastifyInstance;
    let acme: Tenant;
    let globex: Tenant;
    let publicKey: ReturnType<typeof publicKeyFromSpki>;

    const get = (tenant: Tenant | null, url: string, role = 'auditor') =>
      app.inject({
        method: 'GET',
        url,
        headers: tenant ? { 'x-test-tenant': tenant.id, 'x-test-role': role } : {},
      });

    /** Appends `n` entries in one transaction, then chains them under a checkpoint. */
    async function grow(tenant: Tenant, n: number) {
      const events = Array.from({ length: n }, () => someEvent(tenant));
      await t.runtime.database.db.transaction().execute((trx) => t.runtime.audit.appendMany(trx, events));
      await t.runtime.audit.sequence({ forceCheckpoint: true });
    }

    before(async () => {
      t = await startTestRuntime(target);
      acme = await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
      globex = await t.runtime.tenants.create({ slug: 'globex', name: 'Globex' });
      for (const size of [300, 300]) await grow(acme, size);
      await grow(globex, 5);
      const [key] = await t.runtime.keyring.auditPublicKeys(acme.id);
      publicKey = publicKeyFromSpki(key!.derived!);
      // The routes on their own, with a header-based stand-in for sign-in; test/audit-api.test.ts
      // drives the same routes through the real session and Cedar decision in buildApp.
      app = Fastify();
      app.setErrorHandler(mapError);
      auditRoutes(app, { audit: t.runtime.audit, authorize });
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    test('the caller must be signed in and an auditor', async () => {
      assert.equal((await get(null, '/api/v1/audit/entries')).statusCode, 401);
      assert.equal((await get(acme, '/api/v1/audit/entries', 'agent')).statusCode, 403);
    });

    test('entries are filtered, paged, and only ever those of the caller tenant', async () => {
      const res = await get(acme, '/api/v1/audit/entries?limit=5&action=sensitive_read');
      assert.equal(res.statusCode, 200);
      const page = res.json<{ entries: AuditEntryJson[]; nextCursor: number }>();
      assert.deepEqual(
        page.entries.map((e) => e.seq),
        [599, 598, 597, 596, 595],
      );
      assert.equal(page.nextCursor, 595);
      const next = await get(acme, `/api/v1/audit/entries?limit=5&cursor=${page.nextCursor}`);
      assert.equal(next.json<{ entries: AuditEntryJson[] }>().entries[0]!.seq, 594);
      const theirs = (await get(globex, '/api/v1/audit/entries')).json<{ entries: AuditEntryJson[] }>();
      assert.equal(theirs.entries.length, 5);
      assert.ok(theirs.entries.every((e) => e.tenantId === globex.id));
    });

    test('bad queries are refused with 400 and no echo', async () => {
      for (const q of [
        'limit=0',
        'limit=501',
        'action=drop_table',
        'from=yesterday',
        'tenantId=x',
        'cursor=-1',
      ]) {
        const res = await get(acme, `/api/v1/audit/entries?${q}`);
        assert.equal(res.statusCode, 400, q);
        assert.equal(res.json<{ error: { code: string } }>().error.code, 'validation_failed');
      }
    });

    test('inclusion proofs verify against the signed checkpoint, down from the entry itself', async () => {
      const checkpoints = (await get(acme, '/api/v1/audit/checkpoints')).json<{
        checkpoints: CheckpointJson[];
      }>();
      assert.deepEqual(
        checkpoints.checkpoints.map((c) => c.treeSize),
        [300, 600],
      );
      for (const seq of [0, 1, 254, 255, 256, 299, 511, 512, 599]) {
        const res = await get(acme, `/api/v1/audit/proofs/inclusion?seq=${seq}`);
        assert.equal(res.statusCode, 200);
        const proof = res.json<InclusionProof>();
        const leaf = chainHash(unhex(proof.previousHash), chainedFromJson(proof.entry));
        assert.equal(leaf.toString('hex'), proof.leafHash);
        const checkpoint = checkpointFromJson(proof.checkpoint!);
        assert.ok(verifyCheckpoint(checkpoint, publicKey));
        assert.ok(
          verifyInclusion(leaf, seq, proof.treeSize, proof.path.map(unhex), checkpoint.rootHash),
          `seq ${seq}`,
        );
        assert.ok(proof.path.length <= 10);
      }
      const older = (
        await get(acme, '/api/v1/audit/proofs/inclusion?seq=17&treeSize=300')
      ).json<InclusionProof>();
      assert.equal(older.checkpoint?.treeSize, 300);
      assert.equal((await get(acme, '/api/v1/audit/proofs/inclusion?seq=600')).statusCode, 400);
      assert.equal((await get(globex, '/api/v1/audit/proofs/inclusion?seq=5&treeSize=5')).statusCode, 400);
    });

    test('a consistency proof shows the later checkpoint extends the earlier one', async () => {
      const res = await get(acme, '/api/v1/audit/proofs/consistency?first=300&second=600');
      const proof = res.json<ConsistencyProof>();
      const [first, second] = [
        checkpointFromJson(proof.checkpoints.first!),
        checkpointFromJson(proof.checkpoints.second!),
      ];
      assert.ok(verifyCheckpoint(first, publicKey) && verifyCheckpoint(second, publicKey));
      assert.ok(verifyConsistency(300, 600, first.rootHash, second.rootHash, proof.path.map(unhex)));
      for (const [m, n] of [
        [1, 600],
        [256, 599],
        [7, 8],
        [0, 600],
        [600, 600],
      ] as const) {
        const p = (
          await get(acme, `/api/v1/audit/proofs/consistency?first=${m}&second=${n}`)
        ).json<ConsistencyProof>();
        assert.ok(
          verifyConsistency(m, n, unhex(p.firstRoot), unhex(p.secondRoot), p.path.map(unhex)),
          `${m} → ${n}`,
        );
      }
      assert.equal((await get(acme, '/api/v1/audit/proofs/consistency?first=5&second=601')).statusCode, 400);
    });
  });
}

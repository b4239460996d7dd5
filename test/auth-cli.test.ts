import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../src/app.ts';
import { runCli } from './support/cli.ts';
import { Client, enrollWithTotp, expectStatus, manualClock } from './support/auth.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

for (const target of databaseTargets()) {
  describe(`chatvault operator commands (${target.name})`, () => {
    let t: TestRuntime;
    const cli = (args: string[]) => runCli(args, t.env);

    before(async () => {
      t = await startTestRuntime(target);
      await t.runtime.tenants.create({ slug: 'acme', name: 'Acme' });
    });
    after(() => t.close());

    test('the first operator of a tenant must be an owner; its one-time link enrolls it', async () => {
      const agent = await cli([
        'operator',
        'create',
        '--tenant',
        'acme',
        '--email',
        'a@acme.test',
        '--role',
        'agent',
      ]);
      assert.equal(agent.code, 1);
      assert.match(agent.stderr, /first operator of a tenant must be an owner/);

      const owner = await cli([
        'operator',
        'create',
        '--tenant',
        'acme',
        '--email',
        'Boss@Acme.test',
        '--role',
        'owner',
        '--json',
      ]);
      assert.equal(owner.code, 0, owner.stderr);
      const out = JSON.parse(owner.stdout) as {
        enrollmentUrl: string;
        bootstrap: boolean;
        operator: { email: string; status: string };
      };
      assert.equal(out.bootstrap, true);
      assert.equal(out.operator.status, 'pending');
      assert.ok(!owner.stdout.includes('boss@acme.test'), 'the e-mail is masked');
      assert.match(out.enrollmentUrl, /^http:\/\/127\.0\.0\.1:8080\/enroll#token=[A-Za-z0-9_-]{43}$/);

      const app = buildApp(t.runtime);
      const token = new URL(out.enrollmentUrl).hash.slice('#token='.length);
      await enrollWithTotp(app, manualClock(Date.now()), token, 'marble-thunder-pocket-77');
      assert.equal(
        (
          await t.runtime.operators.findByEmail(
            (await t.runtime.tenants.getBySlug('acme')).id,
            'boss@acme.test',
          )
        )?.status,
        'active',
      );
      assert.equal(
        (await new Client(app).post('/api/v1/auth/enroll/start', { token })).statusCode,
        401,
        'the link works once',
      );
      await app.close();

      const text = await cli([
        'operator',
        'create',
        '--tenant',
        'acme',
        '--email',
        'a@acme.test',
        '--role',
        'agent',
      ]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /enroll#token=/);
    });

    test('operator unlock clears the failure counter; enroll-link gives a new link', async () => {
      const app = buildApp(t.runtime);
      for (let i = 0; i < 6; i++)
        await new Client(app, `10.3.0.${i}`).post('/api/v1/auth/login', {
          tenant: 'acme',
          email: 'boss@acme.test',
          password: 'wrong-password-x',
        });
      await app.close();
      const unlocked = await cli([
        'operator',
        'unlock',
        '--tenant',
        'acme',
        '--email',
        'boss@acme.test',
        '--json',
      ]);
      assert.equal(unlocked.code, 0, unlocked.stderr);
      assert.deepEqual(JSON.parse(unlocked.stdout), { cleared: true });
      const link = await cli([
        'operator',
        'enroll-link',
        '--tenant',
        'acme',
        '--email',
        'a@acme.test',
        '--json',
      ]);
      assert.equal(link.code, 0, link.stderr);
      const fresh = new URL((JSON.parse(link.stdout) as { enrollmentUrl: string }).enrollmentUrl).hash.slice(
        7,
      );
      const again = buildApp(t.runtime);
      expectStatus(await new Client(again).post('/api/v1/auth/enroll/start', { token: fresh }), 200);
      await again.close();
    });
  });
}

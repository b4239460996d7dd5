import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { totpCode, seedFromBase32 } from '../../src/features/auth/totp.ts';
import type { OperatorRole } from '../../src/features/operators/operators.table.ts';
import type { Tenant } from '../../src/features/tenants/tenants.service.ts';
import { newId } from '../../src/lib/ids.ts';
import type { Runtime } from '../../src/runtime.ts';
import { Client, expectStatus, invite } from './auth.ts';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Screenshots for reviewers (gitignored). */
export const ARTIFACTS = path.join(import.meta.dirname, '..', '..', 'test-artifacts');

/** Skip a browser suite where Debian's Chromium is missing, except in CI (which installs it). */
export const noBrowser =
  !fs.existsSync(CHROMIUM) && !process.env.CI && 'no /usr/bin/chromium (CI installs it)';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly cdp: CDPSession;
  readonly authenticatorId: string;
  close(): Promise<void>;
}

/** Debian's Chromium with a fresh profile and a user-verifying platform authenticator (CDP). */
export async function openBrowser(): Promise<Browser> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-console-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1366, height: 860 },
    locale: 'en-US',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    context,
    page,
    cdp,
    authenticatorId,
    async close() {
      await context.close();
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Current security training and policy acknowledgement, as an admin would record them. */
export async function recordTraining(runtime: Runtime, tenant: Tenant, operatorId: string): Promise<void> {
  const now = runtime.clock.now();
  for (const kind of ['security_training', 'policy_ack'] as const) {
    await runtime.database.db
      .insertInto('training_records')
      .values({
        id: newId('tr'),
        tenant_id: tenant.id,
        operator_id: operatorId,
        kind,
        version: '2026.1',
        completed_at: now.toISOString(),
        expires_at: new Date(now.getTime() + 365 * 86_400_000).toISOString(),
        evidence_ref: null,
        recorded_by: 'op_setup',
        created_at: now.toISOString(),
      })
      .execute();
  }
}

/**
 * An active operator enrolled over HTTP with an authenticator app (real clock), trained; returns the
 * recovery codes the browser signs in with (single use, so no waiting for the next TOTP step).
 */
export async function enrolledOperator(
  app: FastifyInstance,
  runtime: Runtime,
  tenant: Tenant,
  email: string,
  role: OperatorRole,
  password: string,
) {
  const { token, operator } = await invite(runtime, tenant, email, role);
  const c = new Client(app);
  expectStatus(await c.post('/api/v1/auth/enroll/start', { token }), 200);
  expectStatus(await c.post('/api/v1/auth/enroll/password', { password }), 204);
  const totp = await c.post('/api/v1/auth/enroll/totp', {});
  const seed = seedFromBase32(totp.json<{ secret: string }>().secret);
  expectStatus(await c.post('/api/v1/auth/enroll/totp/confirm', { code: totpCode(seed, new Date()) }), 204);
  const done = await c.post('/api/v1/auth/enroll/finish', {});
  expectStatus(done, 200);
  await recordTraining(runtime, tenant, operator.id);
  return {
    id: operator.id,
    email,
    password,
    recoveryCodes: done.json<{ recoveryCodes: string[] }>().recoveryCodes,
    /** The authenticator app's seed, for a TOTP step-up. */
    seed,
  };
}

/** Signs in through the console's own form with a password and a recovery code. */
export async function signInWithRecoveryCode(
  page: Page,
  who: { email: string; password: string; recoveryCodes: string[] },
  workspace: string,
): Promise<void> {
  await page.getByLabel('Workspace').fill(workspace);
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Recovery code' }).click();
  await page.getByLabel('One of your recovery codes').fill(who.recoveryCodes.shift()!);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../src/config.ts';
import { createMailer, readCaFile, sendMail } from '../src/features/detection/smtp.ts';
import type { Tenant } from '../src/features/tenants/tenants.service.ts';
import { ConfigError } from '../src/lib/errors.ts';
import { waitFor } from './detection-support.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { databaseTargets } from './support/targets.ts';

interface Received {
  readonly to: string[];
  readonly raw: string;
  /** Whether the message came over TLS (STARTTLS). */
  readonly secure: boolean;
}

/** A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI. */
function selfSigned(dir: string, name: string) {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert), certFile: cert };
}

/** The `smtp-server` package on loopback: with STARTTLS (the given certificate) or plain text only. */
async function startServer(tls: { key: Buffer; cert: Buffer } | null) {
  const mails: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: tls ? ['AUTH'] : ['STARTTLS', 'AUTH'],
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
        });
        done();
      });
    },
  });
  server.on('error', () => undefined); // a client that aborts the handshake is expected here
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

type Server = Awaited<ReturnType<typeof startServer>>;
const mail = (subject: string) => ({
  from: 'chatvault@example.com',
  to: ['soc@example.com'],
  subject,
  text: 'Alert al_1 (canary_touched, critical).\n.leading dot\n',
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatvault-smtp-tls-'));
const trusted = selfSigned(dir, 'localhost');
const impostor = selfSigned(dir, 'impostor');

describe('SMTP with STARTTLS against a local smtp-server', () => {
  let tlsServer: Server, plainServer: Server, impostorServer: Server;
  before(async () => {
    tlsServer = await startServer(trusted);
    plainServer = await startServer(null);
    impostorServer = await startServer(impostor);
  });
  after(async () => {
    await Promise.all([tlsServer.close(), plainServer.close(), impostorServer.close()]);
  });

  test('opportunistic (the default) upgrades with STARTTLS and verifies the certificate against the CA file', async () => {
    const send = createMailer({ mode: 'opportunistic', ca: readCaFile(trusted.certFile) });
    await send({ host: '127.0.0.1', port: tlsServer.port }, mail('over tls'));
    const got = tlsServer.mails.find((m) => m.raw.includes('Subject: over tls'));
    assert.ok(got, 'delivered');
    assert.equal(got.secure, true, 'the message travelled over TLS');
    assert.deepEqual(got.to, ['soc@example.com']);
    // The server un-stuffs: the line arrives with its one dot only if the client stuffed it.
    assert.match(got.raw, /\r\n\.leading dot\r\n/, 'dot-stuffing still applies inside TLS');
    await send({ host: 'localhost', port: tlsServer.port }, mail('by name'));
    assert.equal(tlsServer.mails.find((m) => m.raw.includes('Subject: by name'))?.secure, true);
  });

  test('a certificate the CA file does not vouch for is refused, not downgraded to plain text', async () => {
    const before = impostorServer.mails.length;
    await assert.rejects(
      sendMail({ host: '127.0.0.1', port: impostorServer.port }, mail('impostor'), {
        mode: 'opportunistic',
        ca: trusted.cert,
      }),
      /TLS handshake failed/,
    );
    // Without a CA file the system roots apply: a self-signed certificate fails as well.
    await assert.rejects(
      sendMail({ host: '127.0.0.1', port: tlsServer.port }, mail('no ca'), { mode: 'required' }),
      /TLS handshake failed/,
    );
    assert.equal(impostorServer.mails.length, before);
    assert.ok(!tlsServer.mails.some((m) => m.raw.includes('Subject: no ca')));
  });

  test('opportunistic sends in plain text to a server without STARTTLS', async () => {
    await sendMail({ host: '127.0.0.1', port: plainServer.port }, mail('plain'));
    const got = plainServer.mails.find((m) => m.raw.includes('Subject: plain'));
    assert.equal(got?.secure, false);
  });

  test("'require TLS' refuses a server without STARTTLS before sending anything", async () => {
    const send = createMailer({ mode: 'required', ca: trusted.cert });
    await assert.rejects(
      send({ host: '127.0.0.1', port: plainServer.port }, mail('must not leak')),
      /does not offer STARTTLS and TLS is required/,
    );
    assert.ok(!plainServer.mails.some((m) => m.raw.includes('must not leak')));
    // …and delivers over TLS where it is offered.
    await send({ host: '127.0.0.1', port: tlsServer.port }, mail('required ok'));
    assert.equal(tlsServer.mails.find((m) => m.raw.includes('Subject: required ok'))?.secure, true);
  });

  test('configuration: CHATVAULT_SMTP_TLS and CHATVAULT_SMTP_CA_FILE', () => {
    assert.deepEqual(loadConfig({}).smtp, { tls: 'opportunistic', caFile: undefined });
    const c = loadConfig({ CHATVAULT_SMTP_TLS: 'required', CHATVAULT_SMTP_CA_FILE: trusted.certFile });
    assert.deepEqual(c.smtp, { tls: 'required', caFile: trusted.certFile });
    assert.throws(() => loadConfig({ CHATVAULT_SMTP_TLS: 'sometimes' }), ConfigError);
    assert.throws(() => readCaFile(path.join(dir, 'missing.pem')), ConfigError);
    assert.throws(() => readCaFile(trusted.certFile.replace('.pem', '.key')), /no PEM certificate/);
  });
});

for (const target of databaseTargets()) {
  describe(`alert e-mail follows the deployment's SMTP TLS settings (${target.name})`, () => {
    let t: TestRuntime;
    let tenant: Tenant;
    let tlsServer: Server, plainServer: Server;

    before(async () => {
      tlsServer = await startServer(trusted);
      plainServer = await startServer(null);
      t = await startTestRuntime(target, {
        env: { CHATVAULT_SMTP_TLS: 'required', CHATVAULT_SMTP_CA_FILE: trusted.certFile },
      });
      tenant = await t.runtime.tenants.create({ slug: 'tls', name: 'TLS Shop' });
    });
    after(async () => {
      await t.close();
      await Promise.all([tlsServer.close(), plainServer.close()]);
    });

    const alertOnce = async (port: number, kind: string) => {
      await t.runtime.detection.settings.update(tenant.id, {
        routes: {
          smtp: { host: '127.0.0.1', port, from: 'chatvault@example.com' },
          alertEmails: ['soc@example.com'],
        },
      });
      await t.runtime.detection.recordDecryptFailure(tenant.id, { type: 'contact', id: kind });
      await t.runtime.audit.sequence();
      await t.runtime.detection.run();
    };

    test('with TLS required, the alert goes out over STARTTLS, verified with the configured CA', async () => {
      await alertOnce(tlsServer.port, 'ct_tls');
      await waitFor(() => tlsServer.mails.some((m) => m.raw.includes('decryption_failure')), 30_000);
      assert.equal(tlsServer.mails[0]!.secure, true);
    });

    test('with TLS required, a relay without STARTTLS gets nothing and the alert stays pending', async () => {
      await alertOnce(plainServer.port, 'ct_plain');
      const pending = async () =>
        (await t.runtime.detection.alerts.list(tenant.id, {})).filter((a) => a.delivery.email === 'pending');
      await waitFor(async () => (await pending()).length > 0, 30_000);
      // Give a delivery attempt time to happen and fail; nothing may arrive in plain text.
      await t.runtime.detection.run();
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(plainServer.mails.length, 0);
      assert.ok((await pending()).length > 0);
    });
  });
}

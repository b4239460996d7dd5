import type { FastifyInstance } from 'fastify';
import type net from 'node:net';
import type { Config } from './config.ts';
import { buildApp } from './app.ts';
import { clockFromEnvironment } from './lib/test-clock.ts';
import { createLogger } from './lib/logger.ts';
import { initLocalKeys, localPaths, writePrivate } from './features/keys/local-provider.ts';
import { listenControlSocket } from './features/system/control-socket.ts';
import { ensureConsoleBuilt } from './features/console/build.ts';
import { createRuntime, type Runtime } from './runtime.ts';

export interface RunningServer {
  readonly runtime: Runtime;
  readonly app: FastifyInstance;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts one ChatVault process: initialises an empty data directory the embedded way (shares written
 * beside the data, auto-unseal file), unseals if allowed, serves HTTP and the local control socket.
 */
export async function startServer(config: Config, say: (line: string) => void): Promise<RunningServer> {
  const logger = createLogger(config.logLevel);
  await initialiseIfEmpty(config, say);
  const runtime = await createRuntime(config, { logger, clock: clockFromEnvironment(process.env, logger) });
  if (config.autoUnseal && runtime.provider.autoUnseal())
    logger.info('vault unsealed from the local auto-unseal file');
  else say('The vault is SEALED. Unseal it with `chatvault unseal --shares-from FILE` (k shares).');

  runtime.audit.start();
  const app = buildApp(runtime);
  const control: net.Server = await listenControlSocket(config.dataDir, {
    status: () => runtime.provider.status(),
    seal: () => runtime.seal(),
    submitShare: (share) => runtime.submitShare(share),
    runKeyJob: (jobId) => runtime.keyLifecycle.runInBackground(jobId),
  });
  runtime.outbox.start();
  runtime.campaigns.sender.start();
  runtime.privacyWorker.start();
  runtime.vendors.start();
  runtime.keyWorker.start();
  runtime.detection.start();
  // A fresh checkout serves its console without an extra step: built once, here, when missing.
  await ensureConsoleBuilt({ whenStale: false, say }).catch((error: unknown) =>
    logger.warn({ err: error }, 'the operator console could not be built; the API works without it'),
  );
  const url = await app.listen({ host: config.host, port: config.port });
  say(`ChatVault is listening on ${url}`);
  return {
    runtime,
    app,
    url,
    async close() {
      await app.close();
      await new Promise<void>((resolve) => control.close(() => resolve()));
      await runtime.close();
    },
  };
}

async function initialiseIfEmpty(config: Config, say: (line: string) => void): Promise<void> {
  const paths = localPaths(config.dataDir);
  if (config.keyProvider !== 'local' || (await import('node:fs')).existsSync(paths.keyfile)) return;
  const { shares } = await initLocalKeys(config.dataDir, {
    shares: 5,
    threshold: 3,
    now: new Date(),
    autoUnseal: true,
  });
  writePrivate(
    paths.recoveryShares,
    [
      '# ChatVault unseal shares: any 3 of these 5 unseal the vault.',
      '# Move each share to a different person or safe place, then delete this file.',
      ...shares,
      '',
    ].join('\n'),
  );
  say(
    [
      '',
      '*** ChatVault initialised a new data directory at ' + config.dataDir,
      '*** WARNING: embedded mode. The unseal key is in ' + paths.autoUnseal + ' and the 5 recovery shares',
      '*** are in ' + paths.recoveryShares + '. This is only safe on a single trusted machine.',
      '*** Production: run `chatvault init --shares 5 --threshold 3` (no auto-unseal file), give each share',
      '*** to a different person, set CHATVAULT_AUTO_UNSEAL=false and unseal with `chatvault unseal`.',
      '*** Next: `chatvault tenant create --slug acme --name "Acme"`, then create the first owner with',
      '*** `chatvault operator create --tenant acme --email you@example.com --role owner` and open the',
      '*** printed one-time link to set a password and a passkey or authenticator app.',
      '',
    ].join('\n'),
  );
}

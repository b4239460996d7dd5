import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { runSoak } from '../bench/soak/soak.ts';
import { fakeCustomers } from '../src/features/demo/fake-customers.ts';
import { startEmulator } from '../src/features/whatsapp/emulator/index.ts';
import { CAPTIONS, TEXTS } from '../src/features/whatsapp/emulator/fixtures.ts';
import { freePort, waitFor } from './support/cluster.ts';
import { findNeedleGroups, postgresDump } from './support/scan.ts';
import { databaseTargets, tempDir } from './support/targets.ts';

/**
 * Issue 12's sweep: after the full demo (`chatvault demo`, as `npm run demo` runs it) and a short soak
 * (bench/soak), no seeded name, phone number (E.164, digits only, national), e-mail or message text is
 * anywhere on disk — database files with their WAL and shared memory, the blob and shred stores, the
 * temp directory the servers used, a `pg_dump` on PostgreSQL — nor in anything the servers logged.
 */
const SOAK_SECONDS = Number(process.env.CHATVAULT_LEAK_SOAK_SECONDS ?? 45);
const main = path.resolve(import.meta.dirname, '../src/main.ts');

for (const target of databaseTargets()) {
  describe(`leak scan after the demo and a soak (${target.name})`, () => {
    const root = tempDir(`leak-${target.name}`);
    const tmp = path.join(root, 'tmp');
    fs.mkdirSync(tmp, { mode: 0o700 });
    const envs: Record<string, string>[] = [];
    after(async () => {
      for (const env of envs) await target.cleanup(env);
      fs.rmSync(root, { recursive: true, force: true });
    });

    test('no seeded personal data or message text anywhere', { timeout: 600_000 }, async () => {
      const logs: Buffer[] = [];
      const dumps: Buffer[] = [];

      // 1. The demo, as `npm run demo` starts it, with simulated customers writing in.
      const demoEnv: Record<string, string> = { ...target.environment(path.join(root, 'demo')), TMPDIR: tmp };
      envs.push(demoEnv);
      await runDemo(demoEnv, logs);
      if (target.name === 'postgres')
        dumps.push(postgresDump(demoEnv.CHATVAULT_DATABASE_URL!, demoEnv.CHATVAULT_DATABASE_SCHEMA!));

      // 2. A short soak against a production-started server (its own data directory).
      const soakEnv = target.environment(path.join(root, 'soak'));
      envs.push(soakEnv);
      const { CHATVAULT_DATA_DIR: soakDir, ...soakDb } = soakEnv;
      const soak = await runSoak({
        seconds: SOAK_SECONDS,
        ingestPerSecond: 10,
        dataDir: soakDir!,
        env: { ...soakDb, TMPDIR: tmp },
        output: (chunk) => logs.push(Buffer.from(chunk)),
        beforeStop: () => {
          if (target.name === 'postgres')
            dumps.push(postgresDump(soakDb.CHATVAULT_DATABASE_URL!, soakDb.CHATVAULT_DATABASE_SCHEMA!));
          return Promise.resolve();
        },
      });
      assert.ok(
        (soak.counts.ingest ?? 0) > 0 && (soak.counts.reveal ?? 0) > 0,
        `the soak ran: ${JSON.stringify({ counts: soak.counts, errors: soak.errors })}`,
      );

      // 3. Everything they wrote.
      const files = listFiles(root);
      assert.ok(
        files.some((f) => /chatvault\.db(-wal)?$/.test(f)) || target.name === 'postgres',
        'the database files are scanned',
      );
      const bytes = Buffer.concat([...files.map((f) => fs.readFileSync(f)), ...logs, ...dumps]);
      const logged = Buffer.concat(logs).toString('utf8');
      assert.ok(logged.includes('listening on'), 'the server logs were captured');

      const groups = await seededNeedles();
      assert.ok(groups.length > 500, `needles: ${groups.length}`);
      // The scan can fail: the demo tenant's name, stored in the clear, is found by the same routine,
      // and so is one customer's number planted (UTF-16) in a control buffer.
      assert.deepEqual(findNeedleGroups(bytes, [['Demo Shop']]), [0]);
      const planted = Buffer.concat([Buffer.alloc(4096, 7), Buffer.from(groups[3]![0]!, 'utf16le')]);
      assert.deepEqual(findNeedleGroups(planted, groups), [3]);

      const hits = findNeedleGroups(bytes, groups);
      // Where, for a failure: which form (index in the group) in which file; never the value itself.
      const sources = [
        ...files.map((f) => ({ name: path.relative(root, f), data: fs.readFileSync(f) })),
        { name: 'server logs', data: Buffer.concat(logs) },
        ...dumps.map((data, i) => ({ name: `pg_dump ${i}`, data })),
      ];
      const where = hits.slice(0, 10).map((i) => {
        const g = groups[i]!;
        const found = g.flatMap((needle, form) =>
          sources
            .filter((src) => findNeedleGroups(src.data, [[needle]]).length > 0)
            .map((src) => `form ${form} in ${src.name}`),
        );
        return `${g.label}: ${found.join('; ')}`;
      });
      assert.deepEqual(
        hits.map((i) => groups[i]!.label),
        [],
        `${where.join('\n')}\n` +
          `plaintext found (${bytes.length} bytes scanned in ${files.length} files, logs and dumps)`,
      );
    });
  });
}

/** Runs `chatvault demo` until its simulated customers have written in for a while, then stops it. */
async function runDemo(env: Record<string, string>, logs: Buffer[]): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', main, 'demo', '--customers', '200', '--rate', '10'],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...env,
        CHATVAULT_PORT: String(await freePort()),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const out: Buffer[] = [];
  const keep = (d: Buffer) => {
    out.push(d);
    logs.push(d);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await waitFor(() => {
      if (child.exitCode !== null)
        throw new Error(`demo exited: ${Buffer.concat(out).toString().slice(-500)}`);
      return Buffer.concat(out).includes('Demo tenant');
    }, 180_000);
    await new Promise((r) => setTimeout(r, 15_000));
  } finally {
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(force);
  }
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    // tsx's transpile cache (TMPDIR/tsx-<uid>) holds the program's own source, e.g. the emulator's
    // fixture names in population.ts: code, not data; everything else in the temp directory is scanned.
    if (e.isDirectory() && /^tsx-\d+$/.test(e.name) && path.basename(dir) === 'tmp') return [];
    if (e.isDirectory()) return listFiles(full);
    return e.isFile() ? [full] : [];
  });
}

type Group = string[] & { label: string };
const group = (label: string, values: (string | undefined)[]): Group =>
  Object.assign(
    values.filter((v): v is string => v !== undefined && Buffer.byteLength(v) >= 4),
    { label },
  );

function phoneForms(phone: string): string[] {
  const national = parsePhoneNumberFromString(phone)?.nationalNumber;
  return [phone, phone.replace(/\D/g, ''), ...(national ? [national] : [])];
}

/** Every value the demo and the soak seeded: customers imported, customers writing in, texts. */
async function seededNeedles(): Promise<Group[]> {
  const groups: Group[] = [];
  fakeCustomers(200).forEach((c, i) =>
    groups.push(group(`demo customer ${i}`, [...phoneForms(c.phone), c.profileName, c.email])),
  );
  // The emulators' populations (same seeds and sizes as the demo and the soak use).
  for (const [label, seed, customers] of [
    ['demo', 42, 50],
    ['soak', 77, 300],
  ] as const) {
    const emulator = await startEmulator({
      appSecret: 'leak-scan-app-secret-0123456789',
      accessToken: 'leak-scan-token-0123456789',
      verifyToken: 'leak-scan-verify',
      seed,
      customers,
    });
    emulator.customers.list.forEach((c) =>
      groups.push(group(`${label} writer ${c.index}`, [...phoneForms(c.phone), c.profileName, c.username])),
    );
    await emulator.close();
  }
  [...TEXTS, ...CAPTIONS, 'Thanks, we are on it']
    .filter((t) => t.length >= 8)
    .forEach((t, i) => groups.push(group(`message text ${i}`, [t])));
  return groups;
}

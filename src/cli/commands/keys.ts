import type { Command } from 'commander';
import { ValidationError } from '../../lib/errors.ts';
import type { Throttle } from '../../features/keys/key-jobs.ts';
import type { KeyJobsTable } from '../../features/keys/keys.table.ts';
import { ROTATABLE, type RotatablePurpose } from '../../features/keys/rotation.service.ts';
import { KEY_PURPOSES, type KeyPurpose } from '../../features/keys/tenant-key-material.ts';
import type { Runtime } from '../../runtime.ts';
import {
  cliActor,
  cliConfig,
  openRuntime,
  promptShares,
  readSharesFile,
  unsealForCommand,
  type KeyOptions,
} from '../context.ts';
import { initRecoveryKeys } from '../../features/keys/recovery-keys.ts';
import { print } from '../output.ts';
import { sendControl } from '../../features/system/control-socket.ts';

interface ThrottleOptions {
  batchSize?: string;
  restRatio?: string;
}

/** The configured pacing (`CHATVAULT_KEY_JOB_THROTTLE`), with this run's overrides. */
function throttleOf(opts: ThrottleOptions, base: Throttle = cliConfig().keyJobThrottle): Throttle {
  const batchSize = opts.batchSize === undefined ? base.batchSize : Number(opts.batchSize);
  const restRatio = opts.restRatio === undefined ? base.restRatio : Number(opts.restRatio);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000)
    throw new ValidationError('--batch-size must be an integer from 1 to 5000');
  if (!Number.isFinite(restRatio) || restRatio < 0 || restRatio > 100)
    throw new ValidationError('--rest-ratio must be a number from 0 to 100');
  return { ...base, batchSize, restRatio };
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new ValidationError(`${name} must be a positive integer`);
  return n;
}

/** Progress on stderr: a bar on a terminal, a line per phase or every few seconds otherwise. */
function progressPrinter(): (job: KeyJobsTable) => void {
  let last = 0;
  let lastPhase = '';
  return (job) => {
    const now = Date.now();
    if (
      job.phase === lastPhase &&
      now - last < (process.stderr.isTTY ? 200 : 2000) &&
      job.status === 'running'
    )
      return;
    last = now;
    lastPhase = job.phase;
    const total = Math.max(job.total, job.done);
    const pct = total > 0 ? Math.min(100, Math.floor((job.done / total) * 100)) : 0;
    const bar = '#'.repeat(Math.floor(pct / 5)).padEnd(20, '.');
    const line = `${job.kind} ${job.id} [${bar}] ${job.done}/${total || '?'} ${job.phase} ${job.status}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
    if (process.stderr.isTTY && job.status !== 'running') process.stderr.write('\n');
  };
}

async function withKeys<T>(opts: KeyOptions, fn: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(cliConfig());
  try {
    await unsealForCommand(runtime, opts);
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

const purposeOf = (value: string, allowed: readonly string[]) => {
  if (!allowed.includes(value)) throw new ValidationError(`--purpose must be one of ${allowed.join(', ')}`);
  return value;
};

/** `keys status|rotate|resume|policy|trim`: the key lifecycle from the command line. */
export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('Key lifecycle: status, rotation, version policy, trim');

  keys
    .command('status')
    .description('Key versions, ages, usage and what still references each version; running jobs')
    .option('--tenant <slug>', 'only this tenant (default: the root key and every tenant)')
    .option('--shares-from <file>', 'unseal shares (not needed to read the status)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      const runtime = await openRuntime(cliConfig());
      try {
        const tenants = opts.tenant
          ? [await runtime.tenants.getBySlug(opts.tenant)]
          : await runtime.database.db.selectFrom('tenants').select(['id', 'slug']).orderBy('slug').execute();
        const root = opts.tenant ? undefined : await runtime.keyLifecycle.rootStatus();
        const out: TenantStatus[] = [];
        for (const t of tenants) out.push({ slug: t.slug, ...(await runtime.keyLifecycle.status(t.id)) });
        print(opts.json, { root, tenants: out }, () => describeStatus(root, out));
      } finally {
        await runtime.close();
      }
    });

  keys
    .command('rotate')
    .description(
      'Make a new key version and move data to it in a resumable background job (progress on stderr)',
    )
    .requiredOption('--purpose <purpose>', `root, contact, or a tenant key: ${ROTATABLE.join(', ')}`)
    .option('--tenant <slug>', 'the tenant (all purposes except root)')
    .option('--contact <id>', 'the customer whose key to rotate (--purpose contact)')
    .option('--batch-size <n>', 'rows per transaction (throttle)')
    .option('--rest-ratio <r>', 'rest after each batch, as a multiple of its duration (throttle)')
    .option('--no-wait', 'do not run the job here; a running server starts it at once (or resumes it later)')
    .option(
      '--shares-from <file>',
      'unseal shares (root rotation needs the unseal key; on an HSM, k recovery shares)',
    )
    .option('--json', 'machine-readable output')
    .action(
      async (
        opts: {
          purpose: string;
          tenant?: string;
          contact?: string;
          wait: boolean;
          json?: boolean;
        } & ThrottleOptions &
          KeyOptions,
      ) => {
        const purpose = purposeOf(opts.purpose, ['root', 'contact', ...ROTATABLE]);
        const throttle = throttleOf(opts);
        if (purpose !== 'root' && !opts.tenant)
          throw new ValidationError('--tenant is required for this purpose');
        if (purpose === 'contact' && !opts.contact)
          throw new ValidationError('--contact is required with --purpose contact');
        const result = await withKeys(opts, async (runtime) => {
          const ctx = { actor: cliActor() };
          const life = runtime.keyLifecycle;
          let rotated: { version: number; jobId: string | null };
          if (purpose === 'root')
            // An HSM unseals with its PIN: k recovery shares are what allows a root rotation there.
            rotated = await life.rotateRoot(
              ctx,
              runtime.provider.authorizeRootRotation
                ? opts.sharesFrom
                  ? readSharesFile(opts.sharesFrom)
                  : await promptShares(runtime)
                : undefined,
            );
          else {
            const tenant = await runtime.tenants.getBySlug(opts.tenant!);
            rotated =
              purpose === 'contact'
                ? await life.rotateContact(tenant.id, opts.contact!, ctx)
                : await life.rotate(tenant.id, purpose as RotatablePurpose, ctx);
          }
          const job =
            rotated.jobId && opts.wait
              ? await life.runJob(rotated.jobId, throttle, progressPrinter())
              : undefined;
          return { purpose, version: rotated.version, jobId: rotated.jobId, jobStatus: job?.status ?? null };
        });
        // --no-wait: a server running on this data directory starts the job now, with its own throttle.
        const handedOver =
          result.jobId && !opts.wait
            ? await sendControl(cliConfig().dataDir, { command: 'run_key_job', jobId: result.jobId })
            : undefined;
        if (handedOver && !handedOver.ok)
          throw new Error(`The running server refused the job: ${handedOver.message}`);
        print(opts.json, result, () =>
          [
            `Rotated ${purpose} to version ${result.version}.`,
            result.jobId
              ? result.jobStatus
                ? `Job ${result.jobId}: ${result.jobStatus}.`
                : handedOver
                  ? `Job ${result.jobId} is running in the server; follow it with \`chatvault keys status\`.`
                  : `Job ${result.jobId} queued; a running server (or \`chatvault keys resume\`) finishes it.`
              : 'No data needs moving: older versions keep decrypting until trimmed.',
          ].join('\n'),
        );
        if (result.jobStatus === 'failed')
          throw new Error(`Key job ${result.jobId} failed; see \`chatvault keys status\``);
      },
    );

  keys
    .command('recovery-init')
    .description(
      'HSM vaults: make a recovery key split into k-of-n Shamir shares; root rotation needs k of them',
    )
    .option('--shares <n>', 'number of recovery shares', '5')
    .option('--threshold <k>', 'shares needed to rotate the root key', '3')
    .option('--json', 'machine-readable output')
    .action(async (opts: { shares: string; threshold: string; json?: boolean }) => {
      const shares = positiveInt(opts.shares, '--shares')!;
      const threshold = positiveInt(opts.threshold, '--threshold')!;
      if (threshold < 2 || threshold > shares || shares > 255)
        throw new ValidationError('Need integers with 2 ≤ threshold ≤ shares ≤ 255');
      const config = cliConfig();
      const result = await initRecoveryKeys(config.dataDir, { shares, threshold, now: new Date() });
      print(opts.json, result, () =>
        [
          `Recovery shares (any ${threshold} of ${shares} allow a root rotation). They are shown ONCE: give each to a different person.`,
          ...result.shares.map((share, i) => `  share ${i + 1}: ${share}`),
        ].join('\n'),
      );
    });

  keys
    .command('resume')
    .description('Finish every unfinished rewrap / re-encryption job (after a crash or --no-wait)')
    .option('--batch-size <n>', 'rows per transaction (throttle)')
    .option('--rest-ratio <r>', 'rest after each batch, as a multiple of its duration (throttle)')
    .option('--shares-from <file>', 'unseal shares')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean } & ThrottleOptions & KeyOptions) => {
      const throttle = throttleOf(opts);
      const n = await withKeys(opts, (runtime) => runtime.keyLifecycle.resume(throttle, progressPrinter()));
      print(opts.json, { resumed: n }, () => `Finished ${n} job(s).`);
    });

  keys
    .command('policy')
    .description('Set the version policy of a tenant key: decryption floor, rotation period, usage cap')
    .requiredOption('--tenant <slug>', 'the tenant')
    .requiredOption('--purpose <purpose>', KEY_PURPOSES.join(', '))
    .option('--min-decryption-version <n>', 'versions below this refuse to decrypt')
    .option('--rotation-days <n>', 'rotate on schedule after this many days (default 90)')
    .option('--max-encryptions <n>', 'rotate after this many encryptions (default 2^30, below 2^32)')
    .option('--json', 'machine-readable output')
    .action(
      async (opts: {
        tenant: string;
        purpose: string;
        minDecryptionVersion?: string;
        rotationDays?: string;
        maxEncryptions?: string;
        json?: boolean;
      }) => {
        const purpose = purposeOf(opts.purpose, KEY_PURPOSES) as KeyPurpose;
        const change = {
          ...(opts.minDecryptionVersion
            ? { minDecryptionVersion: positiveInt(opts.minDecryptionVersion, '--min-decryption-version')! }
            : {}),
          ...(opts.rotationDays ? { rotationDays: positiveInt(opts.rotationDays, '--rotation-days')! } : {}),
          ...(opts.maxEncryptions
            ? { maxEncryptions: positiveInt(opts.maxEncryptions, '--max-encryptions')! }
            : {}),
        };
        const runtime = await openRuntime(cliConfig());
        try {
          const tenant = await runtime.tenants.getBySlug(opts.tenant);
          const policy = await runtime.keyLifecycle.setPolicy(tenant.id, purpose, change, {
            actor: cliActor(),
          });
          print(
            opts.json,
            policy,
            () =>
              `${purpose}: min_decryption_version ${policy.minDecryptionVersion}, rotate every ${policy.rotationDays} days or ${policy.maxEncryptions} encryptions.`,
          );
        } finally {
          await runtime.close();
        }
      },
    );

  keys
    .command('trim')
    .description(
      'Destroy old versions nothing references any more (tenant keys need an approved key_destroy request)',
    )
    .requiredOption('--purpose <purpose>', `root or ${KEY_PURPOSES.join(', ')}`)
    .requiredOption('--version <n>', 'destroy this version and every older one')
    .option('--tenant <slug>', 'the tenant (tenant keys)')
    .option('--approval <id>', 'the approved four-eyes request (kind key_destroy, payload purpose:version)')
    .option('--shares-from <file>', 'unseal shares')
    .option('--json', 'machine-readable output')
    .action(
      async (
        opts: {
          purpose: string;
          version: string;
          tenant?: string;
          approval?: string;
          json?: boolean;
        } & KeyOptions,
      ) => {
        const purpose = purposeOf(opts.purpose, ['root', ...KEY_PURPOSES]);
        const version = positiveInt(opts.version, '--version')!;
        const result = await withKeys(opts, async (runtime) => {
          const ctx = { actor: cliActor() };
          if (purpose === 'root') return runtime.keyLifecycle.trimRoot(version, ctx);
          if (!opts.tenant || !opts.approval)
            throw new ValidationError('--tenant and --approval are required to trim a tenant key');
          const tenant = await runtime.tenants.getBySlug(opts.tenant);
          return runtime.keyLifecycle.trim(tenant.id, purpose as KeyPurpose, version, {
            ...ctx,
            runApproved: (trx) =>
              runtime.access.approvals.runApproved(trx, tenant.id, opts.approval!, {
                kind: 'key_destroy',
                payloadRef: `${purpose}:${version}`,
              }),
          });
        });
        print(
          opts.json,
          result,
          () => `Destroyed ${purpose} version(s) ${result.destroyed.join(', ') || '(none)'}.`,
        );
      },
    );
}

type TenantStatus = { slug: string } & Awaited<ReturnType<Runtime['keyLifecycle']['status']>>;

function describeStatus(
  root: Awaited<ReturnType<Runtime['keyLifecycle']['rootStatus']>> | undefined,
  tenants: TenantStatus[],
): string {
  const lines: string[] = [];
  const refs = (r: Record<string, number>) =>
    Object.entries(r)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'nothing';
  if (root) {
    lines.push(`root (${root.provider})`);
    for (const v of root.versions)
      lines.push(
        `  v${v.version} ${v.active ? 'active' : 'retired'} since ${v.createdAt.slice(0, 10)}; wraps ${refs(v.references)}`,
      );
  }
  for (const t of tenants) {
    lines.push(`tenant ${t.slug}`);
    for (const p of t.purposes) {
      lines.push(
        `  ${p.purpose}: min_decryption_version ${p.minDecryptionVersion}, rotate every ${p.rotationDays} days`,
      );
      for (const v of p.versions)
        lines.push(
          `    v${v.version} ${v.status}, ${v.ageDays} days old, ${v.encryptions} encryptions; referenced by ${refs(v.references)}`,
        );
    }
    for (const j of t.jobs.filter((j) => j.status !== 'done'))
      lines.push(
        `  job ${j.id} ${j.kind} → v${j.targetVersion}: ${j.status}, ${j.phase} ${j.done}/${j.total}`,
      );
  }
  return lines.join('\n');
}

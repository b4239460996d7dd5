import type { Command } from 'commander';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { maskOperator } from '../../features/operators/operators.service.ts';
import { OPERATOR_ROLES } from '../../features/operators/operators.schema.ts';
import { cliActor, cliConfig, openRuntime, unsealForCommand, type KeyOptions } from '../context.ts';
import { print } from '../output.ts';
import type { Runtime } from '../../runtime.ts';

async function operatorByEmail(runtime: Runtime, tenantSlug: string, email: string) {
  const tenant = await runtime.tenants.getBySlug(tenantSlug);
  const op = await runtime.operators.findByEmail(tenant.id, email);
  if (!op) throw new NotFoundError('Operator');
  return op;
}

/** `chatvault operator …`: enrollment links and unlocking, for whoever holds the server's keys. */
export function registerOperatorCommands(program: Command): void {
  const operator = program.command('operator').description('Manage the staff accounts of a tenant');

  operator
    .command('create')
    .description(
      'Create a pending operator and print a one-time enrollment link (24 h). The first operator of a tenant must be an owner.',
    )
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--email <address>', 'e-mail address of the person')
    .requiredOption('--role <role>', `one of ${OPERATOR_ROLES.join(', ')}`)
    .option('--name <name>', 'display name')
    .option('--shares-from <file>', 'unseal shares when there is no auto-unseal file')
    .option('--json', 'machine-readable output')
    .action(
      async (
        opts: { tenant: string; email: string; role: string; name?: string; json?: boolean } & KeyOptions,
      ) => {
        const runtime = await openRuntime(cliConfig());
        try {
          await unsealForCommand(runtime, opts);
          const tenant = await runtime.tenants.getBySlug(opts.tenant);
          const bootstrap = (await runtime.operators.list(tenant.id)).length === 0;
          if (bootstrap && opts.role !== 'owner') {
            throw new ConflictError('The first operator of a tenant must be an owner (--role owner)');
          }
          const input = {
            email: opts.email,
            role: opts.role as never,
            ...(opts.name ? { name: opts.name } : {}),
          };
          const { operator: op, link } = await runtime.auth.enrollment.createOperator(
            tenant,
            input,
            cliActor(),
            {},
          );
          print(
            opts.json,
            { operator: maskOperator(op), enrollmentUrl: link.url, expiresAt: link.expiresAt, bootstrap },
            () =>
              [
                `Created ${bootstrap ? 'the first owner' : `a pending ${op.role}`} of ${tenant.slug} (${op.id}).`,
                'Send this one-time enrollment link to that person only (valid 24 h, works once):',
                `  ${link.url}`,
                'They set a password and a passkey or authenticator app, and get recovery codes.',
              ].join('\n'),
          );
        } finally {
          await runtime.close();
        }
      },
    );

  operator
    .command('enroll-link')
    .description('Issue a new enrollment link; for an active operator this resets the password and factors')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--email <address>', 'e-mail address of the operator')
    .option('--shares-from <file>', 'unseal shares when there is no auto-unseal file')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant: string; email: string; json?: boolean } & KeyOptions) => {
      const runtime = await openRuntime(cliConfig());
      try {
        await unsealForCommand(runtime, opts);
        const op = await operatorByEmail(runtime, opts.tenant, opts.email);
        const link = await runtime.auth.admin.reenroll(op, cliActor(), {});
        print(opts.json, { enrollmentUrl: link.url, expiresAt: link.expiresAt }, () => `  ${link.url}`);
      } finally {
        await runtime.close();
      }
    });

  operator
    .command('unlock')
    .description('Clear the failed-sign-in counter of an operator (including the hard stop at 100)')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--email <address>', 'e-mail address of the operator')
    .option('--shares-from <file>', 'unseal shares when there is no auto-unseal file')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant: string; email: string; json?: boolean } & KeyOptions) => {
      const runtime = await openRuntime(cliConfig());
      try {
        await unsealForCommand(runtime, opts);
        const op = await operatorByEmail(runtime, opts.tenant, opts.email);
        const cleared = await runtime.auth.admin.unlock(op, cliActor(), {});
        print(opts.json, { cleared }, () => (cleared ? 'Unlocked.' : 'There was nothing to unlock.'));
      } finally {
        await runtime.close();
      }
    });
}

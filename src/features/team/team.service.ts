import type { Clock } from '../../lib/clock.ts';
import type { Db } from '../../db/database.ts';
import { tenantResource } from '../access/entities.ts';
import { REQUIRED_TRAINING, type AccessSession } from '../access/sessions.ts';
import type { Auth } from '../auth/auth.service.ts';
import type { OperatorService } from '../operators/operators.service.ts';
import { maskOperator } from '../operators/operators.service.ts';
import * as repo from './team.repository.ts';

export interface TeamMember {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: string;
  readonly status: string;
  readonly createdAt: string;
  readonly mfa: readonly string[];
  readonly sessions: { readonly live: number; readonly lastSeenAt: string | null };
  readonly training: { readonly current: boolean; readonly expiresAt: string | null };
}

/**
 * The team page: every operator of the tenant with role, status, second factors, live sessions and
 * training. Admins and owners only (Cedar `manageOperators`); e-mails are masked.
 */
export function createTeam(deps: {
  db: Db;
  operators: Pick<OperatorService, 'list'>;
  auth: { factors: Pick<Auth['factors'], 'methods'>; sessions: Pick<Auth['sessions'], 'list'> };
  clock: Clock;
}) {
  return {
    async list(session: AccessSession): Promise<{ operators: TeamMember[] }> {
      const tenantId = session.actor.tenantId;
      await session.enforce('manageOperators', tenantResource('Workspace', tenantId), {
        type: 'workspace',
        id: tenantId,
        what: 'Workspace',
      });
      const [operators, training] = await Promise.all([
        deps.operators.list(tenantId),
        repo.trainingExpiries(deps.db, tenantId),
      ]);
      const now = deps.clock.now().toISOString();
      const members: TeamMember[] = [];
      for (const op of operators) {
        const [mfa, sessions] = await Promise.all([
          deps.auth.factors.methods(op),
          deps.auth.sessions.list(tenantId, op.id),
        ]);
        const expiries = REQUIRED_TRAINING.map(
          (kind) => training.find((t) => t.operator_id === op.id && t.kind === kind)?.expires_at ?? null,
        );
        const expiresAt = expiries.includes(null) ? null : (expiries as string[]).sort()[0]!;
        const lastSeen =
          sessions
            .map((s) => s.lastSeenAt)
            .sort()
            .at(-1) ?? null;
        members.push({
          ...maskOperator(op),
          name: op.name,
          createdAt: op.createdAt,
          mfa,
          sessions: { live: sessions.length, lastSeenAt: lastSeen },
          training: { current: expiresAt !== null && expiresAt > now, expiresAt },
        });
      }
      return { operators: members };
    },
  };
}

export type Team = ReturnType<typeof createTeam>;

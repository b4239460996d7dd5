import type { Migration } from 'kysely';
import type { Dialect } from '../database.ts';
import { foundation } from './0001-foundation.ts';
import { audit } from './0002-audit.ts';
import { operators } from './0003-operators.ts';
import { access } from './0004-access.ts';
import { auth } from './0005-auth.ts';
import { messaging } from './0006-messaging.ts';
import { keyLifecycle } from './0007-key-lifecycle.ts';
import { auditChainedIndexes } from './0008-audit-chained-indexes.ts';

/** All migrations in order. Names sort lexically; never rename or edit one that has shipped. */
export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-foundation': foundation(dialect),
    '0002-audit': audit(dialect),
    '0003-operators': operators(dialect),
    '0004-access': access(dialect),
    '0005-auth': auth(dialect),
    '0006-messaging': messaging(dialect),
    '0007-key-lifecycle': keyLifecycle(dialect),
    '0008-audit-chained-indexes': auditChainedIndexes(dialect),
  };
}

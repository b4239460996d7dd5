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
import { collect } from './0010-collect.ts';
import { contactsPhoneCover } from './0014-contacts-phone-cover.ts';
import { privacy } from './0011-privacy.ts';
import { vendors } from './0012-vendors.ts';
import { detection } from './0013-detection.ts';
import { campaigns } from './0015-campaigns.ts';
import { cluster } from './0016-cluster.ts';
import { auditSession } from './0018-audit-session.ts';
import { privacyOps } from './0017-privacy-ops.ts';
import { keyIndexVersion } from './0009-key-index-version.ts';
import { contactsPhoneLean } from './0020-contacts-phone-lean.ts';
import { contactsTenantId } from './0021-contacts-tenant-id.ts';
import { campaignPacerUs } from './0022-campaign-pacer-us.ts';
import { campaignRecipientsLease } from './0023-campaign-recipients-lease.ts';
import { contactCountriesAtWrite } from './0024-contact-countries-at-write.ts';
import { contactsPhoneIsWaId } from './0026-contacts-phone-is-wa-id.ts';
import { contactsSparseIndexes } from './0027-contacts-sparse-indexes.ts';

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
    '0010-collect': collect(dialect),
    '0014-contacts-phone-cover': contactsPhoneCover(dialect),
    '0011-privacy': privacy(dialect),
    '0012-vendors': vendors(dialect),
    '0013-detection': detection(dialect),
    '0015-campaigns': campaigns(dialect),
    '0016-cluster': cluster(dialect),
    '0018-audit-session': auditSession(dialect),
    '0017-privacy-ops': privacyOps(dialect),
    '0009-key-index-version': keyIndexVersion(dialect),
    '0020-contacts-phone-lean': contactsPhoneLean(dialect),
    '0021-contacts-tenant-id': contactsTenantId(dialect),
    '0022-campaign-pacer-us': campaignPacerUs(dialect),
    '0023-campaign-recipients-lease': campaignRecipientsLease(dialect),
    '0024-contact-countries-at-write': contactCountriesAtWrite(dialect),
    '0026-contacts-phone-is-wa-id': contactsPhoneIsWaId(dialect),
    '0027-contacts-sparse-indexes': contactsSparseIndexes(dialect),
  };
}

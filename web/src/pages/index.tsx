import { useI18n } from '../i18n/index.tsx';
import { AccessPage } from './access.tsx';
import { AuditPage } from './audit.tsx';
import { AlertsPage } from './alerts.tsx';
import { IncidentsPage } from './incidents.tsx';
import { InboxPage } from './inbox.tsx';
import { KeysPage } from './keys.tsx';
import { SearchPage } from './search.tsx';
import { TeamPage } from './team.tsx';
import { VendorsPage } from './vendors.tsx';
import { PrivacyPage } from './privacy.tsx';
import { CampaignsPage } from './campaigns.tsx';

/** The signed-in pages by path; new sections add a case here and an entry in `nav.ts`. */
export function Page({ path }: { path: string }) {
  const { t } = useI18n();
  const inbox = /^\/inbox(?:\/([a-z]{2,4}_[0-9a-z]{26}))?$/.exec(path);
  if (inbox) return <InboxPage conversationId={inbox[1] ?? null} />;
  if (path === '/search') return <SearchPage />;
  if (path === '/team') return <TeamPage />;
  if (path === '/keys') return <KeysPage />;
  if (path === '/vendors') return <VendorsPage />;
  if (path === '/audit') return <AuditPage />;
  if (path === '/alerts') return <AlertsPage />;
  const incident = /^\/incidents(?:\/([a-z]{2,4}_[0-9a-z]{26}))?$/.exec(path);
  if (incident) return <IncidentsPage incidentId={incident[1] ?? null} />;
  if (path === '/privacy') return <PrivacyPage />;
  if (path === '/access') return <AccessPage />;
  if (path === '/campaigns') return <CampaignsPage />;
  return <p className="pad">{t('common.notFound')}</p>;
}

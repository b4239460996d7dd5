import { useI18n } from '../i18n/index.tsx';
import { AccessPage } from './access.tsx';
import { AuditPage } from './audit.tsx';
import { InboxPage } from './inbox.tsx';
import { KeysPage } from './keys.tsx';
import { SearchPage } from './search.tsx';
import { TeamPage } from './team.tsx';

/** The signed-in pages by path; new sections add a case here and an entry in `nav.ts`. */
export function Page({ path }: { path: string }) {
  const { t } = useI18n();
  const inbox = /^\/inbox(?:\/([a-z]{2,4}_[0-9a-z]{26}))?$/.exec(path);
  if (inbox) return <InboxPage conversationId={inbox[1] ?? null} />;
  if (path === '/search') return <SearchPage />;
  if (path === '/team') return <TeamPage />;
  if (path === '/keys') return <KeysPage />;
  if (path === '/audit') return <AuditPage />;
  if (path === '/access') return <AccessPage />;
  return <p className="pad">{t('common.notFound')}</p>;
}

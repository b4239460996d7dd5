import type { ReactNode } from 'react';
import { useI18n } from '../i18n/index.tsx';
import { navigate, usePath } from '../lib/router.ts';
import { useSession } from '../lib/session.tsx';
import { navFor } from '../nav.ts';
import { LanguageSwitch } from './language-switch.tsx';

/** Header, section navigation (from `nav.ts`) and the page. */
export function Layout({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const { me, signOut } = useSession();
  const path = usePath();
  return (
    <div className="shell">
      <a className="skip" href="#main">
        {t('nav.skip')}
      </a>
      <header className="top">
        <span className="brand">{t('app.title')}</span>
        <nav aria-label={t('nav.label')}>
          <ul>
            {navFor(me.operator.role).map((item) => (
              <li key={item.path}>
                <a
                  href={item.path}
                  aria-current={path.startsWith(item.path) ? 'page' : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(item.path);
                  }}
                >
                  {t(item.label)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className="role">{t(`role.${me.operator.role}`)}</span>
          <LanguageSwitch />
          <button type="button" className="link" onClick={() => void signOut()}>
            {t('nav.signOut')}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

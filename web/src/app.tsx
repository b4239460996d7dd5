import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Layout } from './components/layout.tsx';
import { StepUpDialog } from './components/step-up-dialog.tsx';
import { useI18n } from './i18n/index.tsx';
import type { MessageKey } from './i18n/en.ts';
import { api, setApiHandlers, setCsrfToken } from './lib/api.ts';
import { navigate, usePath } from './lib/router.ts';
import { SessionContext, type Me } from './lib/session.tsx';
import { navFor } from './nav.ts';
import { EnrollPage } from './pages/enroll.tsx';
import { Page } from './pages/index.tsx';
import { SignInPage } from './pages/sign-in.tsx';

/** The console: anonymous pages (sign-in, enrollment), then the signed-in layout and its pages. */
export function App() {
  const { t } = useI18n();
  const path = usePath();
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [notice, setNotice] = useState<MessageKey | null>(null);
  const stepUp = useRef<((ok: boolean) => void) | null>(null);
  const [stepUpOpen, setStepUpOpen] = useState(false);

  const loadMe = useCallback(async () => {
    try {
      const found = await api<Me & { csrfToken: string }>('GET', '/api/v1/me', undefined, {
        anonymous: true,
      });
      setCsrfToken(found.csrfToken);
      setMe(found);
    } catch {
      setMe(null);
    }
  }, []);

  useEffect(() => {
    setApiHandlers({
      onSessionEnded: () => {
        setMe((current) => {
          if (current) setNotice('signIn.sessionEnded');
          return null;
        });
        setCsrfToken(undefined);
      },
      onStepUp: () =>
        new Promise<boolean>((resolve) => {
          stepUp.current = resolve;
          setStepUpOpen(true);
        }),
    });
    void loadMe();
  }, [loadMe]);

  const session = useMemo(
    () =>
      me
        ? {
            me,
            signOut: async () => {
              await api('POST', '/api/v1/auth/logout').catch(() => undefined);
              setCsrfToken(undefined);
              setMe(null);
              setNotice('signIn.signedOut');
              navigate('/signin');
            },
          }
        : null,
    [me],
  );

  if (path === '/enroll') return <EnrollPage />;
  if (me === undefined) return <p className="loading">{t('common.loading')}</p>;
  if (!session) {
    return (
      <SignInPage
        notice={notice}
        onSignedIn={async () => {
          setNotice(null);
          await loadMe();
          if (path === '/' || path === '/signin') navigate('/', { replace: true });
        }}
      />
    );
  }
  const first = navFor(session.me.operator.role)[0]?.path ?? '/access';
  if (path === '/' || path === '/signin') {
    queueMicrotask(() => navigate(first, { replace: true }));
    return null;
  }
  return (
    <SessionContext.Provider value={session}>
      <Layout>
        <Page path={path} />
      </Layout>
      {stepUpOpen && (
        <StepUpDialog
          onDone={(ok) => {
            setStepUpOpen(false);
            stepUp.current?.(ok);
            stepUp.current = null;
          }}
        />
      )}
    </SessionContext.Provider>
  );
}

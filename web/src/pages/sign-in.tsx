import { useState } from 'react';
import { errorKey } from '../components/errors.ts';
import { LanguageSwitch } from '../components/language-switch.tsx';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import { assertPasskey } from '../lib/webauthn.ts';
import { ErrorAlert } from '../components/error-alert.tsx';

const WORKSPACE_KEY = 'chatvault.workspace';
type Method = 'webauthn' | 'totp' | 'recovery';

/** Password first, then a passkey, an authenticator code or a recovery code. */
export function SignInPage(props: { notice: MessageKey | null; onSignedIn: () => Promise<void> }) {
  const { t } = useI18n();
  // The workspace slug is remembered (it names the business, not a person); the e-mail is not.
  const [workspace, setWorkspace] = useState(() => localStorage.getItem(WORKSPACE_KEY) ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [methods, setMethods] = useState<Method[] | null>(null);
  const [method, setMethod] = useState<Method>('webauthn');
  const [code, setCode] = useState('');
  const [error, setError] = useState<MessageKey | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (step: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await step();
    } catch (e) {
      setError(errorKey(e) === 'error.unauthenticated' ? 'signIn.failed' : errorKey(e));
    } finally {
      setBusy(false);
    }
  };

  const submitPassword = () =>
    run(async () => {
      const answer = await api<{ methods: Method[] }>(
        'POST',
        '/api/v1/auth/login',
        { tenant: workspace.trim(), email: email.trim(), password },
        { anonymous: true },
      );
      localStorage.setItem(WORKSPACE_KEY, workspace.trim());
      setPassword('');
      setMethods(answer.methods);
      setMethod(answer.methods[0] ?? 'recovery');
    });

  const finish = (path: string, body: unknown) =>
    run(async () => {
      await api('POST', path, body, { anonymous: true });
      await props.onSignedIn();
    });

  const passkey = () =>
    run(async () => {
      const options = await api<Record<string, unknown>>(
        'POST',
        '/api/v1/auth/mfa/webauthn/options',
        {},
        { anonymous: true },
      );
      const response = await assertPasskey(options);
      await api('POST', '/api/v1/auth/mfa/webauthn/verify', { response }, { anonymous: true });
      await props.onSignedIn();
    });

  return (
    <div className="center">
      <div className="card narrow">
        <div className="card-head">
          <h1>{t('signIn.title')}</h1>
          <LanguageSwitch />
        </div>
        {props.notice && (
          <p role="status" className="notice">
            {t(props.notice)}
          </p>
        )}
        {!methods ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void submitPassword();
            }}
          >
            <label htmlFor="workspace">{t('signIn.workspace')}</label>
            <input id="workspace" required value={workspace} onChange={(e) => setWorkspace(e.target.value)} />
            <label htmlFor="email">{t('signIn.email')}</label>
            <input
              id="email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
            <label htmlFor="password">{t('signIn.password')}</label>
            <input
              id="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            <button type="submit" className="primary" disabled={busy}>
              {t('signIn.continue')}
            </button>
          </form>
        ) : (
          <div>
            <p>{t('signIn.secondFactor')}</p>
            <div className="tabs" role="group" aria-label={t('signIn.method')}>
              {methods.map((m) => (
                <button
                  key={m}
                  type="button"
                  aria-pressed={method === m}
                  onClick={() => {
                    setMethod(m);
                    setCode('');
                  }}
                >
                  {t(`signIn.method.${m}`)}
                </button>
              ))}
            </div>
            {method === 'webauthn' ? (
              <button type="button" className="primary" disabled={busy} onClick={() => void passkey()}>
                {t('signIn.usePasskey')}
              </button>
            ) : (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  void finish(`/api/v1/auth/mfa/${method}`, { code: code.trim() });
                }}
              >
                <label htmlFor="code">
                  {t(method === 'totp' ? 'signIn.totpCode' : 'signIn.recoveryCode')}
                </label>
                <input
                  id="code"
                  autoComplete="one-time-code"
                  inputMode={method === 'totp' ? 'numeric' : 'text'}
                  required
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                />
                <button type="submit" className="primary" disabled={busy}>
                  {t('signIn.signIn')}
                </button>
              </form>
            )}
            <button type="button" className="link" onClick={() => setMethods(null)}>
              {t('signIn.startOver')}
            </button>
          </div>
        )}
        <ErrorAlert error={error} />
      </div>
    </div>
  );
}

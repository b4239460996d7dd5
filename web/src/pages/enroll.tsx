import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import { errorKey } from '../components/errors.ts';
import { LanguageSwitch } from '../components/language-switch.tsx';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import { navigate } from '../lib/router.ts';
import { createPasskey } from '../lib/webauthn.ts';
import { ErrorAlert } from '../components/error-alert.tsx';

interface Started {
  operator: { email: string; role: string };
  tenant: { slug: string; name: string };
  passkeyRequired: boolean;
  password: { minLength: number; maxLength: number };
}
type Step = 'start' | 'password' | 'factor' | 'codes' | 'invalid';

// The one-time token is read from the fragment (never sent in a URL) and removed from the address bar.
let tokenOnce: string | null | undefined;
function takeToken(): string | null {
  if (tokenOnce === undefined) {
    tokenOnce = new URLSearchParams(location.hash.slice(1)).get('token');
    history.replaceState(null, '', '/enroll');
  }
  return tokenOnce;
}

/** Enrollment from the one-time link: password, a passkey or an authenticator app, recovery codes. */
export function EnrollPage() {
  const { t } = useI18n();
  const [step, setStep] = useState<Step>('start');
  const [started, setStarted] = useState<Started | null>(null);
  const [error, setError] = useState<MessageKey | null>(null);

  useEffect(() => {
    const token = takeToken();
    if (!token) return setStep('invalid');
    api<Started>('POST', '/api/v1/auth/enroll/start', { token }, { anonymous: true }).then(
      (s) => {
        setStarted(s);
        setStep('password');
      },
      () => setStep('invalid'),
    );
  }, []);

  return (
    <div className="center">
      <div className="card narrow">
        <div className="card-head">
          <h1>{t('enroll.title')}</h1>
          <LanguageSwitch />
        </div>
        {step === 'start' && <p>{t('common.loading')}</p>}
        {step === 'invalid' && <p role="alert">{t('enroll.invalid')}</p>}
        {started && step !== 'invalid' && (
          <p className="muted">
            {t('enroll.welcome', { tenant: started.tenant.name, email: started.operator.email })}
          </p>
        )}
        {started && step === 'password' && (
          <PasswordStep started={started} onError={setError} onDone={() => setStep('factor')} />
        )}
        {started && step === 'factor' && (
          <FactorStep
            passkeyRequired={started.passkeyRequired}
            onError={setError}
            onDone={() => setStep('codes')}
          />
        )}
        {started && step === 'codes' && <CodesStep workspace={started.tenant.slug} onError={setError} />}
        <ErrorAlert error={error} />
      </div>
    </div>
  );
}

function PasswordStep(props: {
  started: Started;
  onError: (e: MessageKey | null) => void;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (password !== again) return props.onError('enroll.mismatch');
        props.onError(null);
        api('POST', '/api/v1/auth/enroll/password', { password }, { anonymous: true }).then(
          props.onDone,
          (err) =>
            props.onError(errorKey(err) === 'error.validation' ? 'enroll.weakPassword' : errorKey(err)),
        );
      }}
    >
      <h2>{t('enroll.passwordStep')}</h2>
      <p className="muted">{t('enroll.passwordRules', { min: props.started.password.minLength })}</p>
      <label htmlFor="new-password">{t('enroll.password')}</label>
      <input
        id="new-password"
        type="password"
        autoComplete="new-password"
        minLength={props.started.password.minLength}
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <label htmlFor="new-password-again">{t('enroll.passwordAgain')}</label>
      <input
        id="new-password-again"
        type="password"
        autoComplete="new-password"
        required
        value={again}
        onChange={(e) => setAgain(e.target.value)}
      />
      <button type="submit" className="primary">
        {t('common.continue')}
      </button>
    </form>
  );
}

function FactorStep(props: {
  passkeyRequired: boolean;
  onError: (e: MessageKey | null) => void;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const [name, setName] = useState(() => t('enroll.defaultPasskeyName'));
  const [totp, setTotp] = useState<{ secret: string; qr: string } | null>(null);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const run = async (step: () => Promise<void>) => {
    setBusy(true);
    props.onError(null);
    try {
      await step();
    } catch (e) {
      props.onError(errorKey(e));
    } finally {
      setBusy(false);
    }
  };
  const passkey = () =>
    run(async () => {
      const options = await api<Record<string, unknown>>(
        'POST',
        '/api/v1/auth/enroll/webauthn/options',
        {},
        { anonymous: true },
      );
      const response = await createPasskey(options);
      await api(
        'POST',
        '/api/v1/auth/enroll/webauthn/verify',
        { name: name.trim(), response },
        { anonymous: true },
      );
      props.onDone();
    });
  const startTotp = () =>
    run(async () => {
      const { secret, uri } = await api<{ secret: string; uri: string }>(
        'POST',
        '/api/v1/auth/enroll/totp',
        {},
        { anonymous: true },
      );
      // Rendered in the browser: the secret never goes to a QR service.
      setTotp({ secret, qr: await QRCode.toDataURL(uri, { margin: 1, width: 220 }) });
    });

  return (
    <div>
      <h2>{t('enroll.factorStep')}</h2>
      <section className="option">
        <h3>{t('enroll.passkeyTitle')}</h3>
        <p className="muted">{t('enroll.passkeyExplain')}</p>
        <label htmlFor="passkey-name">{t('enroll.passkeyName')}</label>
        <input id="passkey-name" maxLength={64} value={name} onChange={(e) => setName(e.target.value)} />
        <button
          type="button"
          className="primary"
          disabled={busy || !name.trim()}
          onClick={() => void passkey()}
        >
          {t('enroll.addPasskey')}
        </button>
      </section>
      {!props.passkeyRequired && (
        <section className="option">
          <h3>{t('enroll.totpTitle')}</h3>
          {!totp ? (
            <button type="button" disabled={busy} onClick={() => void startTotp()}>
              {t('enroll.startTotp')}
            </button>
          ) : (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void run(async () => {
                  await api(
                    'POST',
                    '/api/v1/auth/enroll/totp/confirm',
                    { code: code.trim() },
                    { anonymous: true },
                  );
                  props.onDone();
                });
              }}
            >
              <p className="muted">{t('enroll.scan')}</p>
              <img src={totp.qr} width={220} height={220} alt={t('enroll.qrAlt')} />
              <p className="muted">
                {t('enroll.manualKey')} <code className="secret">{totp.secret}</code>
              </p>
              <label htmlFor="totp-code">{t('enroll.totpCode')}</label>
              <input
                id="totp-code"
                inputMode="numeric"
                autoComplete="one-time-code"
                required
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
              <button type="submit" className="primary" disabled={busy}>
                {t('enroll.confirmTotp')}
              </button>
            </form>
          )}
        </section>
      )}
    </div>
  );
}

function CodesStep(props: { workspace: string; onError: (e: MessageKey | null) => void }) {
  const { t } = useI18n();
  const [codes, setCodes] = useState<string[] | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    api<{ recoveryCodes: string[] }>('POST', '/api/v1/auth/enroll/finish', {}, { anonymous: true }).then(
      (r) => setCodes(r.recoveryCodes),
      (e) => props.onError(errorKey(e)),
    );
  }, []);
  if (!codes) return <p>{t('common.loading')}</p>;
  const saveFile = () => {
    const url = URL.createObjectURL(new Blob([codes.join('\n') + '\n'], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'chatvault-recovery-codes.txt';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return (
    <div>
      <h2>{t('enroll.codesStep')}</h2>
      <p>{t('enroll.codesExplain')}</p>
      <ol className="codes" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <button type="button" onClick={saveFile}>
        {t('enroll.downloadCodes')}
      </button>
      <label className="check">
        <input type="checkbox" checked={saved} onChange={(e) => setSaved(e.target.checked)} />
        {t('enroll.codesSaved')}
      </label>
      <button
        type="button"
        className="primary"
        disabled={!saved}
        onClick={() => {
          localStorage.setItem('chatvault.workspace', props.workspace);
          setCodes(null);
          navigate('/signin');
        }}
      >
        {t('enroll.goSignIn')}
      </button>
    </div>
  );
}

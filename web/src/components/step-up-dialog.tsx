import { useState } from 'react';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import { assertPasskey } from '../lib/webauthn.ts';
import { Dialog } from './dialog.tsx';
import { errorKey } from './errors.ts';
import { ErrorAlert } from './error-alert.tsx';

/** Asks for a fresh second factor (passkey or authenticator code) before a sensitive action is retried. */
export function StepUpDialog({ onDone }: { onDone: (ok: boolean) => void }) {
  const { t } = useI18n();
  const [code, setCode] = useState('');
  const [error, setError] = useState<MessageKey | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (step: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await step();
      onDone(true);
    } catch (e) {
      setError(errorKey(e));
    } finally {
      setBusy(false);
    }
  };
  const passkey = () =>
    run(async () => {
      const options = await api<Record<string, unknown>>(
        'POST',
        '/api/v1/auth/step-up/webauthn/options',
        {},
        { stepUp: false },
      );
      const response = await assertPasskey(options);
      await api('POST', '/api/v1/auth/step-up/webauthn/verify', { response }, { stepUp: false });
    });

  return (
    <Dialog title={t('stepUp.title')} onClose={() => onDone(false)}>
      <p>{t('stepUp.explain')}</p>
      <button type="button" className="primary" disabled={busy} onClick={() => void passkey()}>
        {t('stepUp.passkey')}
      </button>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => api('POST', '/api/v1/auth/step-up/totp', { code }, { stepUp: false }));
        }}
      >
        <label htmlFor="step-up-code">{t('stepUp.code')}</label>
        <input
          id="step-up-code"
          inputMode="numeric"
          autoComplete="one-time-code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
        <div className="actions">
          <button type="submit" disabled={busy || code.length < 6}>
            {t('stepUp.verify')}
          </button>
          <button type="button" className="secondary" onClick={() => onDone(false)}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
      <ErrorAlert error={error} />
    </Dialog>
  );
}

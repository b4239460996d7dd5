import { useState } from 'react';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import { useTicker } from '../lib/live.ts';
import type { ContactField } from '../lib/types.ts';
import { Dialog } from './dialog.tsx';
import { errorKey } from './errors.ts';
import { ErrorAlert } from './error-alert.tsx';

export interface Revealed {
  field: ContactField;
  value: unknown;
  until: number;
}

/** Asks why, says the access is recorded, then asks the server (fresh second factor, audited). */
export function RevealDialog(props: {
  contactId: string;
  field: ContactField;
  onClose: () => void;
  onRevealed: (r: Revealed) => void;
}) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<MessageKey | null>(null);
  const [busy, setBusy] = useState(false);
  const enough = reason.trim().length >= 10 && reason.trim().split(/\s+/).length >= 3;
  return (
    <Dialog title={t('reveal.title')} onClose={props.onClose}>
      <p>{t('reveal.recorded')}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          api<{ value: unknown; visibleForSeconds: number }>(
            'POST',
            `/api/v1/contacts/${props.contactId}/reveal`,
            {
              field: props.field,
              reason: reason.trim(),
            },
          )
            .then((r) =>
              props.onRevealed({
                field: props.field,
                value: r.value,
                until: Date.now() + r.visibleForSeconds * 1000,
              }),
            )
            .catch((err) => setError(errorKey(err)))
            .finally(() => setBusy(false));
        }}
      >
        <label htmlFor="reveal-reason">{t('reveal.reason')}</label>
        <textarea
          id="reveal-reason"
          rows={3}
          maxLength={500}
          required
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          aria-describedby="reveal-hint"
        />
        <p id="reveal-hint" className="muted small">
          {t('reveal.reasonHint')}
        </p>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !enough}>
            {t('reveal.confirm')}
          </button>
          <button type="button" className="secondary" onClick={props.onClose}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
      <ErrorAlert error={error} />
    </Dialog>
  );
}

/** A revealed value, shown for the time the server allows, then forgotten. */
export function RevealedValue(props: { revealed: Revealed; onExpired: () => void }) {
  const { t } = useI18n();
  const [now, setNow] = useState(() => Date.now());
  useTicker(1000, () => {
    const at = Date.now();
    setNow(at);
    if (at >= props.revealed.until) props.onExpired();
  });
  const seconds = Math.max(0, Math.ceil((props.revealed.until - now) / 1000));
  return (
    <span className="revealed" data-testid="revealed-value">
      <strong>
        {typeof props.revealed.value === 'string'
          ? props.revealed.value
          : JSON.stringify(props.revealed.value)}
      </strong>{' '}
      <span className="muted small">{t('reveal.hidesIn', { s: seconds })}</span>
      <button type="button" className="link" onClick={props.onExpired}>
        {t('reveal.hide')}
      </button>
    </span>
  );
}

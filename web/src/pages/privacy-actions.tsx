import { useState } from 'react';
import { Dialog } from '../components/dialog.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { errorKey } from '../components/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';

export const DSR_TYPES = ['access', 'erasure', 'rectification'] as const;
export type DsrType = (typeof DSR_TYPES)[number];
const FIELDS = ['profileName', 'email', 'phone'] as const;

/**
 * Records a new data-subject request (`POST /api/v1/dsr/requests`): the customer's id, the type and
 * the reason. The API asks for a fresh second factor; `api()` opens the step-up dialog when needed.
 */
export function NewRequestForm(props: { onCreated: () => void }) {
  const { t } = useI18n();
  const [contactId, setContactId] = useState('');
  const [type, setType] = useState<DsrType>('access');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<MessageKey | null>(null);
  return (
    <form
      className="card"
      aria-label={t('privacy.new')}
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        api('POST', '/api/v1/dsr/requests', { contactId: contactId.trim(), type, reason })
          .then(() => {
            setContactId('');
            setReason('');
            props.onCreated();
          })
          .catch((err) => setError(errorKey(err)))
          .finally(() => setBusy(false));
      }}
    >
      <h2>{t('privacy.new')}</h2>
      <label htmlFor="dsr-contact">{t('privacy.customerId')}</label>
      <input
        id="dsr-contact"
        value={contactId}
        maxLength={40}
        onChange={(e) => setContactId(e.target.value)}
        required
      />
      <label htmlFor="dsr-type">{t('privacy.type')}</label>
      <select id="dsr-type" value={type} onChange={(e) => setType(e.target.value as DsrType)}>
        {DSR_TYPES.map((x) => (
          <option key={x} value={x}>
            {t(`privacy.type.${x}`)}
          </option>
        ))}
      </select>
      <label htmlFor="dsr-reason">{t('privacy.reason')}</label>
      <input
        id="dsr-reason"
        value={reason}
        maxLength={500}
        onChange={(e) => setReason(e.target.value)}
        required
      />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || reason.trim().length < 5 || !contactId}>
          {t('privacy.create')}
        </button>
      </div>
      <ErrorAlert error={error} />
    </form>
  );
}

interface AccessDone {
  downloadUrl: string;
  passphrase: string;
  expiresAt: string;
}

/** A value shown once, read-only and copyable. */
function Copyable(props: { id: string; label: string; value: string }) {
  const { t } = useI18n();
  return (
    <>
      <label htmlFor={props.id}>{props.label}</label>
      <div className="actions">
        <input id={props.id} readOnly value={props.value} onFocus={(e) => e.target.select()} />
        <button type="button" onClick={() => void navigator.clipboard?.writeText(props.value)}>
          {t('team.copy')}
        </button>
      </div>
    </>
  );
}

/**
 * Executes one request (`POST /api/v1/dsr/requests/:id/execute` with a reason; rectification with
 * the corrected field). Access shows the one-time download link and the passphrase once; erasure asks
 * for an explicit confirmation first (the customer's key is destroyed at once).
 */
export function ExecuteDialog(props: { id: string; type: DsrType; onClose: () => void; onDone: () => void }) {
  const { t, dateTime } = useI18n();
  const [reason, setReason] = useState('');
  const [field, setField] = useState<(typeof FIELDS)[number]>('profileName');
  const [value, setValue] = useState('');
  const [confirmed, setConfirmed] = useState(props.type !== 'erasure');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<MessageKey | null>(null);
  const [access, setAccess] = useState<AccessDone | null>(null);
  const [done, setDone] = useState(false);

  const submit = () => {
    setBusy(true);
    setError(null);
    const body = props.type === 'rectification' ? { reason, fields: { [field]: value } } : { reason };
    api<Partial<AccessDone>>('POST', `/api/v1/dsr/requests/${props.id}/execute`, body)
      .then((res) => {
        if (props.type === 'access' && res.downloadUrl && res.passphrase && res.expiresAt)
          setAccess({ downloadUrl: res.downloadUrl, passphrase: res.passphrase, expiresAt: res.expiresAt });
        setDone(true);
        props.onDone();
      })
      .catch((err) => setError(errorKey(err)))
      .finally(() => setBusy(false));
  };

  return (
    <Dialog
      title={t('privacy.executeTitle', { type: t(`privacy.type.${props.type}`) })}
      onClose={props.onClose}
    >
      {done ? (
        <div className="notice" data-testid="dsr-result">
          <p>{t('privacy.executed')}</p>
          {access && (
            <>
              <p>{t('privacy.accessExplain', { at: dateTime(access.expiresAt) })}</p>
              <Copyable id="dsr-link" label={t('privacy.downloadLink')} value={access.downloadUrl} />
              <Copyable id="dsr-passphrase" label={t('privacy.passphrase')} value={access.passphrase} />
            </>
          )}
          <div className="actions">
            <button type="button" className="secondary" onClick={props.onClose}>
              {t('common.close')}
            </button>
          </div>
        </div>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          {props.type === 'rectification' && (
            <>
              <label htmlFor="dsr-field">{t('privacy.field')}</label>
              <select
                id="dsr-field"
                value={field}
                onChange={(e) => setField(e.target.value as (typeof FIELDS)[number])}
              >
                {FIELDS.map((f) => (
                  <option key={f} value={f}>
                    {t(`privacy.field.${f}`)}
                  </option>
                ))}
              </select>
              <label htmlFor="dsr-value">{t('privacy.newValue')}</label>
              <input
                id="dsr-value"
                value={value}
                maxLength={254}
                onChange={(e) => setValue(e.target.value)}
              />
            </>
          )}
          <label htmlFor="dsr-execute-reason">{t('privacy.reason')}</label>
          <input
            id="dsr-execute-reason"
            value={reason}
            maxLength={500}
            onChange={(e) => setReason(e.target.value)}
            required
          />
          {props.type === 'erasure' && (
            <label>
              <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} />{' '}
              {t('privacy.eraseConfirm')}
            </label>
          )}
          <div className="actions">
            <button
              type="submit"
              className={props.type === 'erasure' ? 'danger' : 'primary'}
              disabled={busy || !confirmed || reason.trim().length < 5}
            >
              {t('privacy.execute')}
            </button>
            <button type="button" className="secondary" onClick={props.onClose}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      )}
      <ErrorAlert error={error} />
    </Dialog>
  );
}

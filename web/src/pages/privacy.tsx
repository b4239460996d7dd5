import { useCallback, useEffect, useState } from 'react';
import { ErrorAlert } from '../components/error-alert.tsx';
import { errorKey } from '../components/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import { useSession } from '../lib/session.tsx';
import { ExecuteDialog, NewRequestForm, type DsrType } from './privacy-actions.tsx';

interface DsrRequest {
  id: string;
  contactId: string;
  type: DsrType;
  status: 'open' | 'in_progress' | 'completed' | 'rejected';
  regime: string;
  receivedAt: string;
  dueAt: string;
  completedAt: string | null;
  daysLeft: number | null;
  overdue: boolean;
}

/**
 * Data-subject requests with their deadline clocks (soonest first); ids only, no personal data.
 * Admins (who hold `handleDataRequests`) record new requests and execute open ones.
 */
export function PrivacyPage() {
  const { t, dateTime } = useI18n();
  const { me } = useSession();
  const handles = me.operator.role === 'admin';
  const [requests, setRequests] = useState<DsrRequest[] | null>(null);
  const [error, setError] = useState<MessageKey | null>(null);
  const [executing, setExecuting] = useState<DsrRequest | null>(null);

  const load = useCallback(() => {
    api<{ requests: DsrRequest[] }>('GET', '/api/v1/dsr/requests').then(
      (r) => {
        setRequests(r.requests);
        setError(null);
      },
      (e) => setError(errorKey(e)),
    );
  }, []);
  useEffect(load, [load]);

  const countdown = (r: DsrRequest) => {
    if (r.daysLeft === null) return t('privacy.done', { at: dateTime(r.completedAt) });
    if (r.overdue) return t('privacy.overdue', { days: -r.daysLeft });
    return t('privacy.daysLeft', { days: r.daysLeft });
  };

  return (
    <div className="pad">
      <div className="page-head">
        <h1>{t('privacy.title')}</h1>
      </div>
      <p>{t('privacy.explain')}</p>
      <ErrorAlert error={error} />
      {handles && <NewRequestForm onCreated={load} />}
      {requests && requests.length === 0 && <p>{t('privacy.none')}</p>}
      {requests && requests.length > 0 && (
        <table data-testid="dsr-requests">
          <thead>
            <tr>
              <th>{t('privacy.type')}</th>
              <th>{t('privacy.customer')}</th>
              <th>{t('privacy.status')}</th>
              <th>{t('privacy.received')}</th>
              <th>{t('privacy.due')}</th>
              <th>{t('privacy.clock')}</th>
              {handles && <th>{t('common.actions')}</th>}
            </tr>
          </thead>
          <tbody>
            {requests.map((r) => (
              <tr key={r.id} className={r.overdue ? 'critical' : undefined}>
                <td>{t(`privacy.type.${r.type}`)}</td>
                <td>
                  <code>{r.contactId}</code>
                </td>
                <td>{t(`privacy.status.${r.status}`)}</td>
                <td>{dateTime(r.receivedAt)}</td>
                <td>
                  {dateTime(r.dueAt)} ({r.regime.toUpperCase()})
                </td>
                <td>
                  <strong>{countdown(r)}</strong>
                </td>
                {handles && (
                  <td>
                    {(r.status === 'open' || r.status === 'in_progress') && (
                      <button type="button" onClick={() => setExecuting(r)}>
                        {t('privacy.execute')}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {executing && (
        <ExecuteDialog
          id={executing.id}
          type={executing.type}
          onClose={() => setExecuting(null)}
          onDone={load}
        />
      )}
    </div>
  );
}

import { useCallback, useEffect, useState } from 'react';
import { ErrorAlert } from '../components/error-alert.tsx';
import { errorKey } from '../components/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import { navigate } from '../lib/router.ts';

interface Alert {
  id: string;
  rule: string;
  severity: 'info' | 'low' | 'medium' | 'high' | 'critical';
  actor: { type: string; id: string } | null;
  summary: string;
  eventAt: string;
  status: 'open' | 'acknowledged';
  incidentId: string | null;
  delivery: { email: string; webhook: string };
}

/** Alerts from the detection rules, newest first, live (server-sent events), with acknowledge. */
export function AlertsPage() {
  const { t, dateTime } = useI18n();
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [severity, setSeverity] = useState('');
  const [error, setError] = useState<MessageKey | null>(null);

  const load = useCallback(() => {
    const q = new URLSearchParams({ limit: '200' });
    if (severity) q.set('severity', severity);
    api<{ alerts: Alert[] }>('GET', `/api/v1/alerts?${q.toString()}`).then(
      (r) => {
        setAlerts(r.alerts);
        setError(null);
      },
      (e) => setError(errorKey(e)),
    );
  }, [severity]);
  useEffect(load, [load]);

  useEffect(() => {
    const source = new EventSource('/api/v1/alerts/stream');
    source.addEventListener('alert', (ev) => {
      const alert = JSON.parse((ev as MessageEvent<string>).data) as Alert;
      setAlerts((prev) => [alert, ...(prev ?? []).filter((a) => a.id !== alert.id)]);
    });
    return () => source.close();
  }, []);

  const acknowledge = (id: string) =>
    api('POST', `/api/v1/alerts/${id}/acknowledge`).then(load, (e) => setError(errorKey(e)));

  return (
    <div className="pad">
      <div className="page-head">
        <h1>{t('alerts.title')}</h1>
      </div>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="a-sev">{t('alerts.severity')}</label>
        <select id="a-sev" value={severity} onChange={(e) => setSeverity(e.target.value)}>
          <option value="">{t('alerts.anySeverity')}</option>
          {(['critical', 'high', 'medium', 'low', 'info'] as const).map((s) => (
            <option key={s} value={s}>
              {t(`alerts.severity.${s}`)}
            </option>
          ))}
        </select>
      </form>
      <ErrorAlert error={error} />
      {alerts && alerts.length === 0 && <p>{t('alerts.none')}</p>}
      {alerts && alerts.length > 0 && (
        <table data-testid="alerts">
          <thead>
            <tr>
              <th>{t('alerts.time')}</th>
              <th>{t('alerts.severity')}</th>
              <th>{t('alerts.rule')}</th>
              <th>{t('alerts.summary')}</th>
              <th>{t('alerts.delivery')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => (
              <tr key={a.id} className={a.severity === 'critical' ? 'critical' : undefined}>
                <td>{dateTime(a.eventAt)}</td>
                <td>
                  <strong>{t(`alerts.severity.${a.severity}`)}</strong>
                </td>
                <td>
                  <code>{a.rule}</code>
                </td>
                <td>{a.summary}</td>
                <td className="small">
                  {t('alerts.email')}: {a.delivery.email} · {t('alerts.webhook')}: {a.delivery.webhook}
                </td>
                <td>
                  {a.incidentId && (
                    <button type="button" onClick={() => navigate(`/incidents/${a.incidentId}`)}>
                      {t('alerts.incident')}
                    </button>
                  )}
                  {a.status === 'open' && (
                    <button type="button" onClick={() => void acknowledge(a.id)}>
                      {t('alerts.acknowledge')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

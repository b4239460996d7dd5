import { useCallback, useEffect, useState } from 'react';
import { errorKey } from '../components/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import { useSession } from '../lib/session.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';

interface MyAccess {
  trainingCurrent: boolean;
  trainingExpiresAt: string | null;
  breakGlassUntil: string | null;
  revealsLastHour: number;
  policySetVersion: number;
}
interface Policies {
  version: number;
  defaults: string[];
  policies: { id: string; description: string; status: string; text: string }[];
}
interface Grant {
  id: string;
  operatorId: string;
  reason: string;
  expiresAt: string;
  active: boolean;
}
interface Approval {
  id: string;
  kind: string;
  requesterId: string;
  reason: string;
  status: string;
  expiresAt: string;
}

/** My access, the policy set, break-glass and four-eyes approvals. */
export function AccessPage() {
  const { t, dateTime, number } = useI18n();
  const { me } = useSession();
  const admin = me.operator.role === 'admin' || me.operator.role === 'owner';
  const [mine, setMine] = useState<MyAccess | null>(null);
  const [policies, setPolicies] = useState<Policies | null>(null);
  const [grants, setGrants] = useState<Grant[]>([]);
  const [approvals, setApprovals] = useState<Approval[]>([]);
  const [error, setError] = useState<MessageKey | null>(null);
  const [done, setDone] = useState<MessageKey | null>(null);

  const load = useCallback(() => {
    void api<MyAccess>('GET', '/api/v1/access/me').then(setMine, (e) => setError(errorKey(e)));
    void api<Policies>('GET', '/api/v1/access/policies').then(setPolicies, () => setPolicies(null));
    void api<{ grants: Grant[] }>('GET', '/api/v1/break-glass').then(
      (r) => setGrants(r.grants),
      () => setGrants([]),
    );
    void api<{ requests: Approval[] }>('GET', '/api/v1/approvals?status=pending').then(
      (r) => setApprovals(r.requests),
      () => setApprovals([]),
    );
  }, []);
  useEffect(load, [load]);

  const act = (path: string, message: MessageKey) =>
    api('POST', path).then(
      () => {
        setDone(message);
        load();
      },
      (e) => setError(errorKey(e)),
    );

  return (
    <div className="pad columns">
      <section>
        <h1>{t('access.title')}</h1>
        {done && (
          <p role="status" className="notice">
            {t(done)}
          </p>
        )}
        <ErrorAlert error={error} />
        {mine && (
          <dl className="fields">
            <div>
              <dt>{t('access.training')}</dt>
              <dd className={mine.trainingCurrent ? 'ok' : 'bad'}>
                {t(mine.trainingCurrent ? 'team.trainingCurrent' : 'team.trainingLapsed')} ·{' '}
                {dateTime(mine.trainingExpiresAt)}
              </dd>
            </div>
            <div>
              <dt>{t('access.breakGlass')}</dt>
              <dd>
                {mine.breakGlassUntil
                  ? t('access.breakGlassUntil', { time: dateTime(mine.breakGlassUntil) })
                  : t('access.none')}
              </dd>
            </div>
            <div>
              <dt>{t('access.reveals')}</dt>
              <dd>{number(mine.revealsLastHour)}</dd>
            </div>
          </dl>
        )}
        {admin && (
          <BreakGlassForm
            onDone={() => {
              setDone('access.breakGlassGranted');
              load();
            }}
            onError={setError}
          />
        )}
        <h2>{t('access.grants')}</h2>
        {grants.length === 0 ? (
          <p className="muted">{t('access.none')}</p>
        ) : (
          <ul className="plain">
            {grants.map((g) => (
              <li key={g.id}>
                <code>{g.operatorId}</code> · {g.reason} ·{' '}
                {t(g.active ? 'access.activeUntil' : 'access.ended', { time: dateTime(g.expiresAt) })}
                {g.active && (
                  <button
                    type="button"
                    className="link"
                    onClick={() => void act(`/api/v1/break-glass/${g.id}/revoke`, 'access.revoked')}
                  >
                    {t('access.revoke')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
        <h2>{t('access.approvals')}</h2>
        {approvals.length === 0 ? (
          <p className="muted">{t('access.noApprovals')}</p>
        ) : (
          <ul className="plain">
            {approvals.map((a) => (
              <li key={a.id}>
                <strong>
                  {t(a.kind === 'key_destroy' ? 'access.kind.keyDestroy' : 'access.kind.export')}
                </strong>{' '}
                · <code>{a.requesterId}</code> · {a.reason} · {dateTime(a.expiresAt)}
                <button
                  type="button"
                  onClick={() => void act(`/api/v1/approvals/${a.id}/approve`, 'access.approved')}
                >
                  {t('access.approve')}
                </button>
                <button
                  type="button"
                  className="secondary"
                  onClick={() => void act(`/api/v1/approvals/${a.id}/reject`, 'access.rejected')}
                >
                  {t('access.reject')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h2>{t('access.policies')}</h2>
        {!policies ? (
          <p className="muted">{t('access.policiesHidden')}</p>
        ) : (
          <>
            <p className="muted">{t('access.version', { n: policies.version })}</p>
            <h3>{t('access.defaults')}</h3>
            <ul className="plain">
              {policies.defaults.map((id) => (
                <li key={id}>
                  <code>{id}</code>
                </li>
              ))}
            </ul>
            <h3>{t('access.tenantPolicies')}</h3>
            {policies.policies.length === 0 && <p className="muted">{t('access.none')}</p>}
            {policies.policies.map((p) => (
              <details key={p.id}>
                <summary>
                  {p.description} · {t(p.status === 'active' ? 'access.active' : 'access.disabled')}
                </summary>
                <pre>{p.text}</pre>
              </details>
            ))}
          </>
        )}
      </section>
    </div>
  );
}

function BreakGlassForm(props: { onDone: () => void; onError: (e: MessageKey) => void }) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState(60);
  return (
    <form
      className="option"
      onSubmit={(e) => {
        e.preventDefault();
        api('POST', '/api/v1/break-glass', { reason: reason.trim(), minutes }).then(
          () => {
            setReason('');
            props.onDone();
          },
          (err) => props.onError(errorKey(err)),
        );
      }}
    >
      <h2>{t('access.requestBreakGlass')}</h2>
      <p className="muted small">{t('access.breakGlassExplain')}</p>
      <label htmlFor="bg-reason">{t('reveal.reason')}</label>
      <textarea
        id="bg-reason"
        rows={2}
        maxLength={500}
        required
        value={reason}
        onChange={(e) => setReason(e.target.value)}
      />
      <label htmlFor="bg-minutes">{t('access.minutes')}</label>
      <input
        id="bg-minutes"
        type="number"
        min={5}
        max={240}
        value={minutes}
        onChange={(e) => setMinutes(Number(e.target.value))}
      />
      <button type="submit" className="danger">
        {t('access.requestBreakGlass')}
      </button>
    </form>
  );
}

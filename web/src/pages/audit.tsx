import { useCallback, useEffect, useState } from 'react';
import { errorKey } from '../components/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api, download } from '../lib/api.ts';
import { ErrorAlert } from '../components/error-alert.tsx';

interface Entry {
  seq: number;
  id: string;
  time: string;
  actor: { type: string; id: string };
  action: string;
  target: { type: string; id: string };
  outcome: string;
  subjectId: string | null;
}
interface Verification {
  ok: boolean;
  entries: number;
  checkpoints: number;
  pending: number;
  problem?: { kind: string; seq?: number; checkpoint?: number };
}

const ACTIONS = [
  'sensitive_read',
  'sensitive_create',
  'sensitive_update',
  'sensitive_export',
  'authz_fail',
  'authz_change',
  'authz_break_glass',
  'authn_login_success',
  'authn_login_fail',
  'authn_mfa_fail',
  'policy_change',
  'sys_seal',
  'sys_unseal',
] as const;

/** The audit log with filters, chain verification (green or red with the first bad entry), export. */
export function AuditPage() {
  const { t, dateTime, number } = useI18n();
  const [action, setAction] = useState('');
  const [actorId, setActorId] = useState('');
  const [targetId, setTargetId] = useState('');
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [cursor, setCursor] = useState<number | null>(null);
  const [verification, setVerification] = useState<Verification | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [error, setError] = useState<MessageKey | null>(null);

  const query = useCallback(
    (after: number | null) => {
      const q = new URLSearchParams({ limit: '50' });
      if (action) q.set('action', action);
      if (actorId.trim()) q.set('actorId', actorId.trim());
      if (targetId.trim()) q.set('targetId', targetId.trim());
      if (after !== null) q.set('cursor', String(after));
      return api<{ entries: Entry[]; nextCursor: number | null }>(
        'GET',
        `/api/v1/audit/entries?${q.toString()}`,
      );
    },
    [action, actorId, targetId],
  );
  const load = useCallback(() => {
    query(null).then(
      (r) => {
        setEntries(r.entries);
        setCursor(r.nextCursor);
        setError(null);
      },
      (e) => setError(errorKey(e)),
    );
  }, [query]);
  useEffect(load, [load]);

  const verify = () => {
    setVerifying(true);
    setVerification(null);
    api<{ verification: Verification }>('POST', '/api/v1/audit/verify')
      .then(
        (r) => setVerification(r.verification),
        (e) => setError(errorKey(e)),
      )
      .finally(() => setVerifying(false));
  };

  return (
    <div className="pad">
      <div className="page-head">
        <h1>{t('audit.title')}</h1>
        <div className="actions">
          <button type="button" className="primary" disabled={verifying} onClick={verify}>
            {t(verifying ? 'audit.verifying' : 'audit.verify')}
          </button>
          <button
            type="button"
            onClick={() =>
              void download('/api/v1/audit/export', 'chatvault-audit.jsonl').catch((e) =>
                setError(errorKey(e)),
              )
            }
          >
            {t('audit.export')}
          </button>
        </div>
      </div>
      {verification && (
        <div
          role="status"
          className={verification.ok ? 'result ok' : 'result bad'}
          data-testid="verify-result"
        >
          {verification.ok ? (
            <p>
              <strong>{t('audit.intact')}</strong>{' '}
              {t('audit.intactDetail', {
                entries: verification.entries,
                checkpoints: verification.checkpoints,
              })}
            </p>
          ) : (
            <p>
              <strong>{t('audit.broken')}</strong>{' '}
              {verification.problem?.seq !== undefined &&
                t('audit.firstBad', { seq: verification.problem.seq })}{' '}
              {t(problemKey(verification.problem?.kind))}
            </p>
          )}
          {verification.pending > 0 && (
            <p className="small">{t('audit.pending', { n: verification.pending })}</p>
          )}
        </div>
      )}
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          load();
        }}
      >
        <label htmlFor="f-action">{t('audit.action')}</label>
        <select id="f-action" value={action} onChange={(e) => setAction(e.target.value)}>
          <option value="">{t('audit.anyAction')}</option>
          {ACTIONS.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
        <label htmlFor="f-actor">{t('audit.actor')}</label>
        <input id="f-actor" value={actorId} onChange={(e) => setActorId(e.target.value)} />
        <label htmlFor="f-target">{t('audit.target')}</label>
        <input id="f-target" value={targetId} onChange={(e) => setTargetId(e.target.value)} />
        <button type="submit">{t('audit.filter')}</button>
      </form>
      <ErrorAlert error={error} />
      {entries && (
        <table data-testid="audit-entries">
          <thead>
            <tr>
              <th>#</th>
              <th>{t('audit.time')}</th>
              <th>{t('audit.actor')}</th>
              <th>{t('audit.action')}</th>
              <th>{t('audit.target')}</th>
              <th>{t('audit.outcome')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td>{number(e.seq)}</td>
                <td>{dateTime(e.time)}</td>
                <td>
                  {e.actor.type}:{e.actor.id}
                </td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>
                  {e.target.type}:{e.target.id}
                </td>
                <td>{t(`audit.outcome.${e.outcome as 'success' | 'failure' | 'denied'}`)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor !== null && (
        <button
          type="button"
          onClick={() =>
            void query(cursor).then((r) => {
              setEntries([...(entries ?? []), ...r.entries]);
              setCursor(r.nextCursor);
            })
          }
        >
          {t('audit.more')}
        </button>
      )}
    </div>
  );
}

function problemKey(kind: string | undefined): MessageKey {
  if (kind === 'entry_mismatch' || kind === 'entry_missing' || kind === 'entry_duplicated')
    return `audit.problem.${kind}`;
  if (kind?.startsWith('checkpoint') || kind?.startsWith('trusted')) return 'audit.problem.checkpoint';
  return 'audit.problem.other';
}

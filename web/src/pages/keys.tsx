import { useCallback, useEffect, useState } from 'react';
import { errorKey } from '../components/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import { ErrorAlert } from '../components/error-alert.tsx';

/** Purposes an admin may rotate here (the root key is rotated from the CLI, with shares). */
const ROTATABLE = ['data', 'index', 'restricted', 'audit', 'collect'];
const POLL_MS = 1_000;

interface KeyVersion {
  version: number;
  status: 'active' | 'retired' | 'destroyed';
  createdAt: string;
  ageDays: number;
  encryptions: number;
  references: Record<string, number>;
}

interface KeyPurposeStatus {
  purpose: string;
  minDecryptionVersion: number;
  rotationDays: number;
  maxEncryptions: number;
  versions: KeyVersion[];
}

interface KeyJob {
  id: string;
  kind: string;
  purpose: string;
  targetVersion: number;
  phase: string;
  done: number;
  total: number;
  status: 'running' | 'done' | 'failed';
}

interface KeyStatus {
  purposes: KeyPurposeStatus[];
  jobs: KeyJob[];
}

const referenced = (refs: Record<string, number>) => Object.values(refs).reduce((sum, n) => sum + n, 0);

const percent = (job: KeyJob) => {
  const total = Math.max(job.total, job.done);
  if (job.status === 'done') return 100;
  return total > 0 ? Math.min(99, Math.floor((job.done / total) * 100)) : 0;
};

/** Tenant keys: versions, ages, usage, references; rotation (step-up) with the job's progress. */
export function KeysPage() {
  const { t, number } = useI18n();
  const [status, setStatus] = useState<KeyStatus | null>(null);
  const [error, setError] = useState<MessageKey | null>(null);
  const [done, setDone] = useState<MessageKey | null>(null);
  const [job, setJob] = useState<KeyJob | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    api<KeyStatus>('GET', '/api/v1/keys').then(
      (r) => {
        setStatus(r);
        setJob((current) => current ?? r.jobs.find((j) => j.status === 'running') ?? null);
      },
      (e) => setError(errorKey(e)),
    );
  }, []);
  useEffect(load, [load]);

  const jobId = job?.status === 'running' ? job.id : null;
  useEffect(() => {
    if (!jobId) return;
    const timer = setInterval(() => {
      api<{ job: KeyJob }>('GET', `/api/v1/keys/jobs/${jobId}`).then(
        (r) => {
          setJob(r.job);
          if (r.job.status !== 'running') {
            setDone(r.job.status === 'done' ? 'keys.jobDone' : 'keys.jobFailed');
            load();
          }
        },
        (e) => setError(errorKey(e)),
      );
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [jobId, load]);

  const rotate = (purpose: string) => {
    setBusy(true);
    api<{ version: number; jobId: string | null }>('POST', `/api/v1/keys/${purpose}/rotate`).then(
      (r) => {
        setBusy(false);
        setError(null);
        setDone('keys.rotated');
        if (r.jobId)
          setJob({
            id: r.jobId,
            kind: purpose === 'index' ? 'reindex' : 'rewrap',
            purpose,
            targetVersion: r.version,
            phase: '',
            done: 0,
            total: 0,
            status: 'running',
          });
        load();
      },
      (e) => {
        setBusy(false);
        setError(errorKey(e));
      },
    );
  };

  return (
    <div className="pad">
      <div className="page-head">
        <h1>{t('keys.title')}</h1>
      </div>
      <p className="muted">{t('keys.explain')}</p>
      {done && (
        <p role="status" className="notice">
          {t(done)}
        </p>
      )}
      <ErrorAlert error={error} />
      {job && (
        <div className="notice" role="status" aria-live="polite">
          <p>
            {t('keys.job', { purpose: job.purpose, version: job.targetVersion })}{' '}
            {t(`keys.jobStatus.${job.status}`)}
          </p>
          <progress max={100} value={percent(job)} aria-label={t('keys.progress')} />{' '}
          <span className="small">
            {t('keys.jobProgress', {
              done: job.done,
              total: Math.max(job.total, job.done),
              pct: percent(job),
            })}
          </span>
        </div>
      )}
      {!status ? (
        <p>{t('common.loading')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{t('keys.purpose')}</th>
              <th>{t('keys.version')}</th>
              <th>{t('keys.status')}</th>
              <th>{t('keys.age')}</th>
              <th>{t('keys.usage')}</th>
              <th>{t('keys.references')}</th>
              <th>{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {status.purposes.flatMap((p) =>
              p.versions
                .slice()
                .reverse()
                .map((v, i) => (
                  <tr key={`${p.purpose}:${v.version}`}>
                    <td>
                      {i === 0 && (
                        <>
                          <strong>{p.purpose}</strong>
                          <br />
                          <span className="muted small">
                            {t('keys.policy', { days: p.rotationDays, min: p.minDecryptionVersion })}
                          </span>
                        </>
                      )}
                    </td>
                    <td>v{v.version}</td>
                    <td>
                      <span className={v.status === 'active' ? 'ok' : v.status === 'destroyed' ? 'bad' : ''}>
                        {t(`keys.versionStatus.${v.status}`)}
                      </span>
                    </td>
                    <td>{t('keys.days', { n: v.ageDays })}</td>
                    <td>{number(v.encryptions)}</td>
                    <td>{number(referenced(v.references))}</td>
                    <td className="row-actions">
                      {i === 0 && ROTATABLE.includes(p.purpose) && (
                        <button
                          type="button"
                          disabled={busy || job?.status === 'running'}
                          onClick={() => rotate(p.purpose)}
                        >
                          {t('keys.rotate')}
                        </button>
                      )}
                    </td>
                  </tr>
                )),
            )}
          </tbody>
        </table>
      )}
    </div>
  );
}

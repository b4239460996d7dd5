import { useCallback, useEffect, useState } from 'react';
import { ErrorAlert } from '../components/error-alert.tsx';
import { errorKey } from '../components/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api, download } from '../lib/api.ts';
import { navigate } from '../lib/router.ts';

const STATES = ['detected', 'triaged', 'contained', 'eradicated', 'recovered', 'closed'] as const;
type State = (typeof STATES)[number];

interface Incident {
  id: string;
  title: string;
  severity: string;
  state: State;
  suspect: { type: string; id: string } | null;
  awareAt: string;
  hasReview: boolean;
}
interface TimelineEntry {
  id: string;
  at: string;
  actor: string;
  kind: string;
  detail: Record<string, unknown>;
  note?: string;
}
interface Draft {
  deadlines: Array<{ name: string; due: string; hoursLeft: number; overdue: boolean }>;
  gdprArt33: Record<string, unknown>;
  piplArt57: Record<string, unknown>;
  missing: string[];
}
interface Blast {
  totals: { customers: number; records: number; fields: string[] };
  digest: string;
}
const SUSPECT_TYPES = ['operator', 'api_key', 'ip', 'session'] as const;

/** Incidents: the list, or one incident with its clocks, timeline, playbooks, notices and review. */
export function IncidentsPage({ incidentId }: { incidentId: string | null }) {
  return incidentId ? <IncidentDetail id={incidentId} /> : <IncidentList />;
}

function IncidentList() {
  const { t, dateTime } = useI18n();
  const [incidents, setIncidents] = useState<Incident[] | null>(null);
  const [title, setTitle] = useState('');
  const [error, setError] = useState<MessageKey | null>(null);
  const load = useCallback(() => {
    api<{ incidents: Incident[] }>('GET', '/api/v1/incidents').then(
      (r) => setIncidents(r.incidents),
      (e) => setError(errorKey(e)),
    );
  }, []);
  useEffect(load, [load]);
  const open = () =>
    api<{ incident: Incident }>('POST', '/api/v1/incidents', { title }).then(
      (r) => navigate(`/incidents/${r.incident.id}`),
      (e) => setError(errorKey(e)),
    );
  return (
    <div className="pad">
      <div className="page-head">
        <h1>{t('incidents.title')}</h1>
      </div>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void open();
        }}
      >
        <label htmlFor="i-title">{t('incidents.newTitle')}</label>
        <input id="i-title" value={title} onChange={(e) => setTitle(e.target.value)} />
        <button type="submit" disabled={title.trim().length < 3}>
          {t('incidents.open')}
        </button>
      </form>
      <ErrorAlert error={error} />
      {incidents && (
        <table data-testid="incidents">
          <thead>
            <tr>
              <th>{t('incidents.aware')}</th>
              <th>{t('incidents.severity')}</th>
              <th>{t('incidents.state')}</th>
              <th>{t('incidents.name')}</th>
            </tr>
          </thead>
          <tbody>
            {incidents.map((i) => (
              <tr key={i.id} onClick={() => navigate(`/incidents/${i.id}`)} className="clickable">
                <td>{dateTime(i.awareAt)}</td>
                <td>{i.severity}</td>
                <td>{t(`incidents.state.${i.state}`)}</td>
                <td>
                  <a href={`/incidents/${i.id}`} onClick={(e) => e.preventDefault()}>
                    {i.title}
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function IncidentDetail({ id }: { id: string }) {
  const { t, dateTime, number } = useI18n();
  const [incident, setIncident] = useState<Incident | null>(null);
  const [timeline, setTimeline] = useState<TimelineEntry[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [blast, setBlast] = useState<Blast | null>(null);
  // The blast radius of another suspect than the incident's (e.g. one session of the operator).
  const [scope, setScope] = useState<{ type: string; id: string } | null>(null);
  const [scopeType, setScopeType] = useState<string>('session');
  const [scopeId, setScopeId] = useState('');
  const [note, setNote] = useState('');
  const [review, setReview] = useState({
    cause: '',
    impact: '',
    whatWorked: '',
    action: '',
    owner: '',
    due: '',
  });
  const [error, setError] = useState<MessageKey | null>(null);
  const base = `/api/v1/incidents/${id}`;
  const blastQuery = scope
    ? `suspectType=${encodeURIComponent(scope.type)}&suspectId=${encodeURIComponent(scope.id)}`
    : '';

  const load = useCallback(() => {
    api<{ incident: Incident; timeline: TimelineEntry[] }>('GET', base).then(
      (r) => {
        setIncident(r.incident);
        setTimeline(r.timeline);
      },
      (e) => setError(errorKey(e)),
    );
    api<Draft>('GET', `${base}/regulator-draft`).then(setDraft, () => setDraft(null));
    api<Blast>('GET', `${base}/blast-radius${blastQuery ? `?${blastQuery}` : ''}`).then(setBlast, () =>
      setBlast(null),
    );
  }, [base, blastQuery]);
  useEffect(load, [load]);

  const act = (method: string, path: string, body?: unknown) =>
    api(method, `${base}${path}`, body).then(load, (e) => setError(errorKey(e)));
  const playbook = (body: Record<string, unknown>) => act('POST', '/playbooks', body);
  if (!incident) return <ErrorAlert error={error} />;
  const next = STATES[STATES.indexOf(incident.state) + 1];

  return (
    <div className="pad">
      <div className="page-head">
        <h1>{incident.title}</h1>
        <div className="actions">
          <button type="button" onClick={() => void download(`${base}/report.html`, `incident-${id}.html`)}>
            {t('incidents.report')}
          </button>
        </div>
      </div>
      {draft && (
        <div role="status" className="result bad" data-testid="deadlines">
          {draft.deadlines.map((d) => (
            <p key={d.name}>
              <strong>
                {d.overdue ? t('incidents.overdue') : t('incidents.hoursLeft', { hours: d.hoursLeft })}
              </strong>{' '}
              {d.name} — {dateTime(d.due)}
            </p>
          ))}
        </div>
      )}
      <p>
        {t('incidents.state')}: <strong>{t(`incidents.state.${incident.state}`)}</strong> ·{' '}
        {incident.suspect && `${t('incidents.suspect')}: ${incident.suspect.type} ${incident.suspect.id}`}
      </p>
      {next && incident.state !== 'closed' && (
        <button type="button" className="primary" onClick={() => void act('POST', '/state', { state: next })}>
          {t('incidents.moveTo', { state: t(`incidents.state.${next}`) })}
        </button>
      )}
      <ErrorAlert error={error} />

      <h2>{t('incidents.playbooks')}</h2>
      <div className="actions">
        {incident.suspect?.type === 'operator' && (
          <button
            type="button"
            onClick={() => void playbook({ playbook: 'disable_operator', operatorId: incident.suspect!.id })}
          >
            {t('incidents.pb.disable')}
          </button>
        )}
        {incident.suspect?.type === 'api_key' && (
          <button
            type="button"
            onClick={() => void playbook({ playbook: 'revoke_api_key', keyId: incident.suspect!.id })}
          >
            {t('incidents.pb.revokeKey')}
          </button>
        )}
        <button
          type="button"
          onClick={() => void playbook({ playbook: 'freeze', exports: true, campaigns: true })}
        >
          {t('incidents.pb.freeze')}
        </button>
        <button type="button" onClick={() => void playbook({ playbook: 'rotate_keys' })}>
          {t('incidents.pb.rotate')}
        </button>
        <button type="button" className="danger" onClick={() => void playbook({ playbook: 'seal_vault' })}>
          {t('incidents.pb.seal')}
        </button>
      </div>

      <h2>{t('incidents.blast')}</h2>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setScope(scopeId.trim() ? { type: scopeType, id: scopeId.trim() } : null);
        }}
      >
        <label htmlFor="b-type">{t('incidents.blastSuspectType')}</label>
        <select id="b-type" value={scopeType} onChange={(e) => setScopeType(e.target.value)}>
          {SUSPECT_TYPES.map((k) => (
            <option key={k} value={k}>
              {t(`incidents.suspectType.${k}`)}
            </option>
          ))}
        </select>
        <label htmlFor="b-id">{t('incidents.blastSuspectId')}</label>
        <input id="b-id" value={scopeId} onChange={(e) => setScopeId(e.target.value)} />
        <button type="submit">{t('incidents.blastApply')}</button>
      </form>
      {blast && (
        <p data-testid="blast-totals">
          {t('incidents.blastTotals', {
            customers: number(blast.totals.customers),
            records: number(blast.totals.records),
            fields: blast.totals.fields.join(', ') || '—',
          })}{' '}
          <button
            type="button"
            onClick={() =>
              void download(
                `${base}/blast-radius?format=csv${blastQuery ? `&${blastQuery}` : ''}`,
                `blast-radius-${id}.csv`,
              )
            }
          >
            CSV
          </button>
          <button
            type="button"
            onClick={() =>
              void download(
                `${base}/blast-radius${blastQuery ? `?${blastQuery}` : ''}`,
                `blast-radius-${id}.json`,
              )
            }
          >
            JSON
          </button>
        </p>
      )}

      <h2>{t('incidents.notices')}</h2>
      <div className="actions">
        <button type="button" onClick={() => void act('POST', '/notices')}>
          {t('incidents.sendNotices')}
        </button>
        <button type="button" onClick={() => void act('POST', '/notify-tenant')}>
          {t('incidents.notifyTenant')}
        </button>
      </div>
      {draft && draft.missing.length > 0 && (
        <p className="small">{t('incidents.missing', { fields: draft.missing.join(', ') })}</p>
      )}

      <h2>{t('incidents.timeline')}</h2>
      <ol className="timeline" data-testid="timeline">
        {timeline.map((e) => (
          <li key={e.id}>
            {dateTime(e.at)} · {e.actor} · <code>{e.kind}</code> {e.note && <span>— {e.note}</span>}
          </li>
        ))}
      </ol>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void act('POST', '/notes', { note }).then(() => setNote(''));
        }}
      >
        <label htmlFor="i-note">{t('incidents.note')}</label>
        <textarea id="i-note" value={note} onChange={(e) => setNote(e.target.value)} />
        <button type="submit" disabled={!note.trim()}>
          {t('incidents.addNote')}
        </button>
      </form>

      {incident.state !== 'closed' && (
        <>
          <h2>{t('incidents.review')}</h2>
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              void act('POST', '/review', {
                cause: review.cause,
                impact: review.impact,
                whatWorked: review.whatWorked,
                actions: [{ action: review.action, owner: review.owner, due: review.due }],
              });
            }}
          >
            {(['cause', 'impact', 'whatWorked', 'action', 'owner', 'due'] as const).map((k) => (
              <label key={k}>
                {t(`incidents.review.${k}`)}
                <input
                  type={k === 'due' ? 'date' : 'text'}
                  value={review[k]}
                  onChange={(e) => setReview({ ...review, [k]: e.target.value })}
                />
              </label>
            ))}
            <button type="submit">{t('incidents.fileReview')}</button>
          </form>
        </>
      )}
    </div>
  );
}

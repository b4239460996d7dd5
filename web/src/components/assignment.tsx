import { useEffect, useState } from 'react';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import type { TeamMember } from '../lib/types.ts';
import { errorKey } from './errors.ts';

/** Who answers this customer: assign an agent, or take one off (admins and owners). */
export function Assignment(props: { contactId: string; assigned: string[]; onChanged: () => void }) {
  const { t } = useI18n();
  const [team, setTeam] = useState<TeamMember[]>([]);
  const [pick, setPick] = useState('');
  const [error, setError] = useState<MessageKey | null>(null);
  useEffect(() => {
    api<{ operators: TeamMember[] }>('GET', '/api/v1/operators').then(
      (r) => setTeam(r.operators.filter((o) => o.status === 'active' && o.role === 'agent')),
      () => setTeam([]),
    );
  }, []);
  const label = (id: string) => {
    const m = team.find((o) => o.id === id);
    return m ? (m.name ?? m.email) : id;
  };
  const change = (method: 'POST' | 'DELETE', operatorId: string) =>
    (method === 'POST'
      ? api('POST', '/api/v1/assignments', { contactId: props.contactId, operatorId })
      : api('DELETE', `/api/v1/assignments/${props.contactId}/${operatorId}`)
    ).then(props.onChanged, (e) => setError(errorKey(e)));
  return (
    <div className="assignment">
      <span className="muted">{t('assign.assigned')}</span>{' '}
      {props.assigned.length === 0 && <span>{t('assign.nobody')}</span>}
      {props.assigned.map((id) => (
        <span key={id} className="chip">
          {label(id)}
          <button
            type="button"
            className="link"
            aria-label={t('assign.remove', { name: label(id) })}
            onClick={() => void change('DELETE', id)}
          >
            ×
          </button>
        </span>
      ))}
      <label htmlFor="assign-to" className="sr-only">
        {t('assign.to')}
      </label>
      <select id="assign-to" value={pick} onChange={(e) => setPick(e.target.value)}>
        <option value="">{t('assign.choose')}</option>
        {team
          .filter((o) => !props.assigned.includes(o.id))
          .map((o) => (
            <option key={o.id} value={o.id}>
              {o.name ?? o.email}
            </option>
          ))}
      </select>
      <button
        type="button"
        disabled={!pick}
        onClick={() => void change('POST', pick).then(() => setPick(''))}
      >
        {t('assign.assign')}
      </button>
      {error && (
        <span role="alert" className="error">
          {t(error)}
        </span>
      )}
    </div>
  );
}

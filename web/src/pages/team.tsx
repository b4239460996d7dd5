import { useCallback, useEffect, useState } from 'react';
import { Dialog } from '../components/dialog.tsx';
import { errorKey } from '../components/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import { useSession, type Role } from '../lib/session.tsx';
import type { TeamMember } from '../lib/types.ts';
import { ErrorAlert } from '../components/error-alert.tsx';

const ROLES: Role[] = ['agent', 'marketer', 'auditor', 'admin', 'owner'];

/** Operators: roles, second factors, sessions, training; invite, new link, disable, end sessions. */
export function TeamPage() {
  const { t, dateTime } = useI18n();
  const { me } = useSession();
  const [team, setTeam] = useState<TeamMember[] | null>(null);
  const [error, setError] = useState<MessageKey | null>(null);
  const [done, setDone] = useState<MessageKey | null>(null);
  const [inviting, setInviting] = useState(false);
  const [link, setLink] = useState<string | null>(null);

  const load = useCallback(() => {
    api<{ operators: TeamMember[] }>('GET', '/api/v1/operators').then(
      (r) => setTeam(r.operators),
      (e) => setError(errorKey(e)),
    );
  }, []);
  useEffect(load, [load]);

  const act = (path: string, message: MessageKey) =>
    api<{ enrollmentUrl?: string }>('POST', path).then(
      (r) => {
        setDone(message);
        setError(null);
        if (r?.enrollmentUrl) setLink(r.enrollmentUrl);
        load();
      },
      (e) => setError(errorKey(e)),
    );

  return (
    <div className="pad">
      <div className="page-head">
        <h1>{t('team.title')}</h1>
        <button type="button" className="primary" onClick={() => setInviting(true)}>
          {t('team.invite')}
        </button>
      </div>
      {done && (
        <p role="status" className="notice">
          {t(done)}
        </p>
      )}
      <ErrorAlert error={error} />
      {link && <EnrollmentLink url={link} onClose={() => setLink(null)} />}
      {!team ? (
        <p>{t('common.loading')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{t('team.name')}</th>
              <th>{t('team.role')}</th>
              <th>{t('team.status')}</th>
              <th>{t('team.mfa')}</th>
              <th>{t('team.sessions')}</th>
              <th>{t('team.training')}</th>
              <th>{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {team.map((m) => (
              <tr key={m.id}>
                <td>
                  {m.name ?? '—'}
                  <br />
                  <span className="muted small">{m.email}</span>
                </td>
                <td>{t(`role.${m.role as Role}`)}</td>
                <td>{t(`team.status.${m.status as 'active' | 'pending' | 'disabled'}`)}</td>
                <td>
                  {m.mfa.length
                    ? m.mfa.map((f) => t(`team.factor.${f as 'webauthn' | 'totp' | 'recovery'}`)).join(', ')
                    : t('team.noMfa')}
                </td>
                <td>
                  {t('team.liveSessions', { n: m.sessions.live })}
                  <br />
                  <span className="muted small">{dateTime(m.sessions.lastSeenAt)}</span>
                </td>
                <td>
                  <span className={m.training.current ? 'ok' : 'bad'}>
                    {t(m.training.current ? 'team.trainingCurrent' : 'team.trainingLapsed')}
                  </span>
                  <br />
                  <span className="muted small">{dateTime(m.training.expiresAt)}</span>
                </td>
                <td className="row-actions">
                  {m.id !== me.operator.id && (
                    <>
                      <button
                        type="button"
                        onClick={() => void act(`/api/v1/operators/${m.id}/enrollment`, 'team.linkIssued')}
                      >
                        {t('team.newLink')}
                      </button>
                      <button
                        type="button"
                        onClick={() => void act(`/api/v1/operators/${m.id}/sessions/revoke`, 'team.revoked')}
                      >
                        {t('team.revoke')}
                      </button>
                      {m.status !== 'disabled' && (
                        <button
                          type="button"
                          className="danger"
                          onClick={() => void act(`/api/v1/operators/${m.id}/disable`, 'team.disabled')}
                        >
                          {t('team.disable')}
                        </button>
                      )}
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {inviting && (
        <InviteDialog
          onClose={() => setInviting(false)}
          onInvited={(url) => {
            setInviting(false);
            setLink(url);
            setDone('team.invited');
            load();
          }}
        />
      )}
    </div>
  );
}

function EnrollmentLink(props: { url: string; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <div className="notice">
      <p>{t('team.linkExplain')}</p>
      <label htmlFor="enrollment-link">{t('team.link')}</label>
      <input id="enrollment-link" readOnly value={props.url} onFocus={(e) => e.target.select()} />
      <div className="actions">
        <button type="button" onClick={() => void navigator.clipboard?.writeText(props.url)}>
          {t('team.copy')}
        </button>
        <button type="button" className="secondary" onClick={props.onClose}>
          {t('common.close')}
        </button>
      </div>
    </div>
  );
}

function InviteDialog(props: { onClose: () => void; onInvited: (url: string) => void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('agent');
  const [error, setError] = useState<MessageKey | null>(null);
  return (
    <Dialog title={t('team.invite')} onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          api<{ enrollmentUrl: string }>('POST', '/api/v1/operators', {
            email: email.trim(),
            role,
            ...(name.trim() ? { name: name.trim() } : {}),
          }).then(
            (r) => props.onInvited(r.enrollmentUrl),
            (err) => setError(errorKey(err)),
          );
        }}
      >
        <label htmlFor="invite-email">{t('signIn.email')}</label>
        <input
          id="invite-email"
          type="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="invite-name">{t('team.name')}</label>
        <input id="invite-name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        <label htmlFor="invite-role">{t('team.role')}</label>
        <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {t(`role.${r}`)}
            </option>
          ))}
        </select>
        <div className="actions">
          <button type="submit" className="primary">
            {t('team.sendInvite')}
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

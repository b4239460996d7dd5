import { useState } from 'react';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import type { ContactField, ConversationDetail } from '../lib/types.ts';
import { errorKey } from './errors.ts';
import { RevealedValue, RevealDialog, type Revealed } from './reveal.tsx';
import { ErrorAlert } from './error-alert.tsx';

const FIELDS: { field: Exclude<ContactField, 'attributes'>; label: MessageKey }[] = [
  { field: 'profileName', label: 'contact.name' },
  { field: 'phone', label: 'contact.phone' },
  { field: 'email', label: 'contact.email' },
];

/** The customer: masked fields with an audited reveal, consent state, tags. */
export function CustomerPanel(props: { detail: ConversationDetail; onChanged: () => void }) {
  const { t, dateTime } = useI18n();
  const { contact } = props.detail;
  const [asking, setAsking] = useState<ContactField | null>(null);
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  return (
    <aside className="pane customer" aria-labelledby="customer-title">
      <h2 id="customer-title">{t('contact.title')}</h2>
      <dl className="fields">
        {FIELDS.map(({ field, label }) => (
          <div key={field}>
            <dt>{t(label)}</dt>
            <dd data-testid={`field-${field}`}>
              {revealed?.field === field ? (
                <RevealedValue revealed={revealed} onExpired={() => setRevealed(null)} />
              ) : (
                <>
                  <span className="masked">
                    {contact[field] ?? (contact.views[field] === 'withheld' ? t('contact.withheld') : '—')}
                  </span>
                  {contact[field] !== null && (
                    <button type="button" className="link" onClick={() => setAsking(field)}>
                      {t('reveal.action')}
                    </button>
                  )}
                </>
              )}
            </dd>
          </div>
        ))}
      </dl>
      <p className="muted small">{t('reveal.recordedNote')}</p>
      <h3>{t('consent.title')}</h3>
      {props.detail.consent.length === 0 ? (
        <p className="muted">{t('consent.none')}</p>
      ) : (
        <ul className="plain">
          {props.detail.consent.map((c) => (
            <li key={c.purpose}>
              {t(`consent.purpose.${c.purpose === 'utility' ? 'utility' : 'marketing'}`)}:{' '}
              <strong>{t(c.state === 'opt_in' ? 'consent.optIn' : 'consent.optOut')}</strong>{' '}
              <span className="muted small">{dateTime(c.at)}</span>
            </li>
          ))}
        </ul>
      )}
      <Tags
        contactId={contact.id}
        tags={contact.tags}
        editable={props.detail.canTag}
        onChanged={props.onChanged}
      />
      {asking && (
        <RevealDialog
          contactId={contact.id}
          field={asking}
          onClose={() => setAsking(null)}
          onRevealed={(r) => {
            setAsking(null);
            setRevealed(r);
          }}
        />
      )}
    </aside>
  );
}

function Tags(props: { contactId: string; tags: string[]; editable: boolean; onChanged: () => void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<MessageKey | null>(null);
  const save = (tags: string[]) =>
    api('PUT', `/api/v1/contacts/${props.contactId}/tags`, { tags }).then(
      () => {
        setDraft('');
        setError(null);
        props.onChanged();
      },
      (e) => setError(errorKey(e)),
    );
  return (
    <section>
      <h3>{t('tags.title')}</h3>
      <ul className="chips">
        {props.tags.length === 0 && <li className="muted">{t('tags.none')}</li>}
        {props.tags.map((tag) => (
          <li key={tag} className="chip">
            {tag}
            {props.editable && (
              <button
                type="button"
                className="link"
                aria-label={t('tags.remove', { tag })}
                onClick={() => void save(props.tags.filter((x) => x !== tag))}
              >
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      {props.editable && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const tag = draft.trim().toLowerCase();
            if (tag) void save([...props.tags, tag]);
          }}
        >
          <label htmlFor="new-tag">{t('tags.add')}</label>
          <input id="new-tag" maxLength={40} value={draft} onChange={(e) => setDraft(e.target.value)} />
          <button type="submit">{t('tags.addButton')}</button>
        </form>
      )}
      <ErrorAlert error={error} />
    </section>
  );
}

import { useState } from 'react';
import { errorKey } from '../components/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import { navigate } from '../lib/router.ts';
import type { MaskedIdentity } from '../lib/types.ts';
import { ErrorAlert } from '../components/error-alert.tsx';

type By = 'phone' | 'last4' | 'tag';

/** Search by full number, last four digits or tag: the query travels in a POST body, results are masked. */
export function SearchPage() {
  const { t } = useI18n();
  const [by, setBy] = useState<By>('phone');
  const [value, setValue] = useState('');
  const [results, setResults] = useState<{ contact: MaskedIdentity; conversationIds: string[] }[] | null>(
    null,
  );
  const [error, setError] = useState<MessageKey | null>(null);
  return (
    <div className="pad">
      <h1>{t('search.title')}</h1>
      <form
        className="search"
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          api<{ results: { contact: MaskedIdentity; conversationIds: string[] }[] }>(
            'POST',
            '/api/v1/search',
            {
              [by]: value.trim(),
            },
          ).then(
            (r) => setResults(r.results),
            (err) => setError(errorKey(err)),
          );
        }}
      >
        <fieldset>
          <legend>{t('search.by')}</legend>
          {(['phone', 'last4', 'tag'] as const).map((b) => (
            <label key={b} className="check">
              <input type="radio" name="by" value={b} checked={by === b} onChange={() => setBy(b)} />
              {t(`search.by.${b}`)}
            </label>
          ))}
        </fieldset>
        <label htmlFor="search-value">{t(`search.value.${by}`)}</label>
        <input
          id="search-value"
          required
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" className="primary">
          {t('search.go')}
        </button>
      </form>
      <p className="muted small">{t('search.recorded')}</p>
      <ErrorAlert error={error} />
      {results && results.length === 0 && <p>{t('search.none')}</p>}
      {results && results.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>{t('contact.name')}</th>
              <th>{t('contact.phone')}</th>
              <th>{t('tags.title')}</th>
              <th>
                <span className="sr-only">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {results.map((r) => (
              <tr key={r.contact.id}>
                <td>{r.contact.profileName ?? t('contact.noName')}</td>
                <td>{r.contact.phone ?? t('contact.withheld')}</td>
                <td>{r.contact.tags.join(', ')}</td>
                <td>
                  {r.conversationIds[0] ? (
                    <button type="button" onClick={() => navigate(`/inbox/${r.conversationIds[0]}`)}>
                      {t('search.open')}
                    </button>
                  ) : (
                    <span className="muted">{t('search.noConversation')}</span>
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

import { useEffect, useState } from 'react';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import type { TemplateSummary } from '../lib/types.ts';
import { errorKey } from './errors.ts';
import { ErrorAlert } from './error-alert.tsx';

/** Free text inside the 24-hour service window; outside it, an approved template with its parameters. */
export function ReplyBox(props: {
  conversationId: string;
  windowExpiresAt: string | null;
  onSent: () => void;
}) {
  const { t } = useI18n();
  const open = props.windowExpiresAt !== null && Date.parse(props.windowExpiresAt) > Date.now();
  const [text, setText] = useState('');
  const [error, setError] = useState<MessageKey | null>(null);
  const [busy, setBusy] = useState(false);

  const send = async (content: unknown) => {
    setBusy(true);
    setError(null);
    try {
      await api('POST', `/api/v1/conversations/${props.conversationId}/messages`, content);
      setText('');
      props.onSent();
    } catch (e) {
      setError(errorKey(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="reply">
      {open ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim()) void send({ type: 'text', text: { body: text } });
          }}
        >
          <label htmlFor="reply-text">{t('reply.label')}</label>
          <textarea
            id="reply-text"
            rows={3}
            maxLength={4096}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit();
            }}
          />
          <button type="submit" className="primary" disabled={busy || !text.trim()}>
            {t('reply.send')}
          </button>
        </form>
      ) : (
        <TemplatePicker conversationId={props.conversationId} busy={busy} onSend={(c) => void send(c)} />
      )}
      <ErrorAlert error={error} />
    </div>
  );
}

function TemplatePicker(props: {
  conversationId: string;
  busy: boolean;
  onSend: (content: unknown) => void;
}) {
  const { t } = useI18n();
  const [templates, setTemplates] = useState<TemplateSummary[] | null>(null);
  const [chosen, setChosen] = useState(0);
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<MessageKey | null>(null);
  useEffect(() => {
    api<{ templates: TemplateSummary[] }>(
      'GET',
      `/api/v1/conversations/${props.conversationId}/templates`,
    ).then(
      (r) => setTemplates(r.templates),
      (e) => setError(errorKey(e)),
    );
  }, [props.conversationId]);
  if (error)
    return (
      <p role="alert" className="error">
        {t(error)}
      </p>
    );
  if (!templates) return <p>{t('common.loading')}</p>;
  const template = templates[chosen];
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (!template) return;
        const parameters = template.parameters.map((p) => ({
          type: 'text',
          text: values[p] ?? '',
          ...(template.named ? { parameter_name: p } : {}),
        }));
        props.onSend({
          type: 'template',
          template: {
            name: template.name,
            language: { code: template.language },
            ...(parameters.length > 0 ? { components: [{ type: 'body', parameters }] } : {}),
          },
        });
      }}
    >
      <p className="notice">{t('reply.windowClosed')}</p>
      <label htmlFor="template">{t('reply.template')}</label>
      <select
        id="template"
        value={chosen}
        onChange={(e) => {
          setChosen(Number(e.target.value));
          setValues({});
        }}
      >
        {templates.map((tpl, i) => (
          <option key={`${tpl.name}:${tpl.language}`} value={i}>
            {tpl.name} ({tpl.language})
          </option>
        ))}
      </select>
      {template && <p className="template-body">{template.body}</p>}
      {template?.parameters.map((p) => (
        <div key={p}>
          <label htmlFor={`param-${p}`}>{t('reply.parameter', { name: p })}</label>
          <input
            id={`param-${p}`}
            required
            maxLength={1024}
            value={values[p] ?? ''}
            onChange={(e) => setValues({ ...values, [p]: e.target.value })}
          />
        </div>
      ))}
      <button type="submit" className="primary" disabled={props.busy || !template}>
        {t('reply.sendTemplate')}
      </button>
    </form>
  );
}

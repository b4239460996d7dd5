import { useState } from 'react';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import { Dialog } from './dialog.tsx';
import { errorKey } from './errors.ts';
import { ErrorAlert } from './error-alert.tsx';

interface Revealed {
  spans?: { kind: string; placeholder: string; value: string }[];
  fields?: Record<string, string>;
}

const KIND_KEYS: Record<string, MessageKey> = {
  card: 'restricted.kind.card',
  cn_id: 'restricted.kind.cn_id',
  iban: 'restricted.kind.iban',
  bank_account: 'restricted.kind.bank_account',
  passport: 'restricted.kind.passport',
  delivery_address: 'collect.template.delivery_address',
  customs_id: 'collect.template.customs_id',
  invoice: 'collect.template.invoice',
};

/**
 * The restricted part of a message (cut-out card/ID numbers, or a secure form): a badge naming the
 * kinds and a "reveal restricted" action — reason asked, access recorded, shown until closed.
 */
export function RestrictedPart(props: { conversationId: string; messageId: string; kinds: string[] }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<MessageKey | null>(null);
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  const enough = reason.trim().length >= 10 && reason.trim().split(/\s+/).length >= 3;
  const kindLabel = (k: string) => (KIND_KEYS[k] ? t(KIND_KEYS[k]) : k);
  return (
    <div className="restricted" data-testid="restricted">
      <span className="badge">{t('restricted.badge', { kinds: props.kinds.map(kindLabel).join(', ') })}</span>{' '}
      <button type="button" className="link" onClick={() => setOpen(true)}>
        {t('restricted.reveal')}
      </button>
      {open && (
        <Dialog
          title={t('restricted.title')}
          onClose={() => {
            setOpen(false);
            setRevealed(null);
          }}
        >
          {revealed ? (
            <>
              <dl className="restricted-values" data-testid="restricted-values">
                {revealed.spans?.map((s, i) => (
                  <div key={i}>
                    <dt>{kindLabel(s.kind)}</dt>
                    <dd>{s.value}</dd>
                  </div>
                ))}
                {revealed.fields &&
                  Object.entries(revealed.fields).map(([name, value]) => (
                    <div key={name}>
                      <dt>{name}</dt>
                      <dd>{value}</dd>
                    </div>
                  ))}
              </dl>
              <button
                type="button"
                className="secondary"
                onClick={() => {
                  setOpen(false);
                  setRevealed(null);
                }}
              >
                {t('common.close')}
              </button>
            </>
          ) : (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                setBusy(true);
                setError(null);
                api<Revealed>(
                  'POST',
                  `/api/v1/conversations/${props.conversationId}/messages/${props.messageId}/restricted`,
                  { reason: reason.trim() },
                )
                  .then(setRevealed)
                  .catch((err) => setError(errorKey(err)))
                  .finally(() => setBusy(false));
              }}
            >
              <p>{t('restricted.recorded')}</p>
              <label htmlFor="restricted-reason">{t('reveal.reason')}</label>
              <textarea
                id="restricted-reason"
                rows={3}
                maxLength={500}
                required
                value={reason}
                onChange={(e) => setReason(e.target.value)}
              />
              <div className="actions">
                <button type="submit" className="primary" disabled={busy || !enough}>
                  {t('restricted.reveal')}
                </button>
                <button type="button" className="secondary" onClick={() => setOpen(false)}>
                  {t('common.cancel')}
                </button>
              </div>
            </form>
          )}
          <ErrorAlert error={error} />
        </Dialog>
      )}
    </div>
  );
}

const TEMPLATES = ['delivery_address', 'customs_id', 'invoice'] as const;

/** Sends the end-to-end notice and a one-time secure form link to the customer. */
export function SecureLinkButton(props: { conversationId: string; onSent: () => void }) {
  const { t, lang } = useI18n();
  const [open, setOpen] = useState(false);
  const [template, setTemplate] = useState<(typeof TEMPLATES)[number]>('delivery_address');
  const [language, setLanguage] = useState<'en' | 'zh'>(lang === 'zh-CN' ? 'zh' : 'en');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<MessageKey | null>(null);
  return (
    <>
      <button type="button" className="secondary" onClick={() => setOpen(true)} data-testid="secure-link">
        {t('collect.send')}
      </button>
      {open && (
        <Dialog title={t('collect.title')} onClose={() => setOpen(false)}>
          <p>{t('collect.explain')}</p>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              setBusy(true);
              setError(null);
              api('POST', `/api/v1/conversations/${props.conversationId}/collect-links`, {
                template,
                language,
              })
                .then(() => {
                  setOpen(false);
                  props.onSent();
                })
                .catch((err) => setError(errorKey(err)))
                .finally(() => setBusy(false));
            }}
          >
            <label htmlFor="collect-template">{t('collect.form')}</label>
            <select
              id="collect-template"
              value={template}
              onChange={(e) => setTemplate(e.target.value as (typeof TEMPLATES)[number])}
            >
              {TEMPLATES.map((id) => (
                <option key={id} value={id}>
                  {t(KIND_KEYS[id]!)}
                </option>
              ))}
            </select>
            <label htmlFor="collect-language">{t('lang.label')}</label>
            <select
              id="collect-language"
              value={language}
              onChange={(e) => setLanguage(e.target.value as 'en' | 'zh')}
            >
              <option value="en">{t('lang.en')}</option>
              <option value="zh">{t('lang.zh')}</option>
            </select>
            <div className="actions">
              <button type="submit" className="primary" disabled={busy}>
                {t('collect.confirm')}
              </button>
              <button type="button" className="secondary" onClick={() => setOpen(false)}>
                {t('common.cancel')}
              </button>
            </div>
          </form>
          <ErrorAlert error={error} />
        </Dialog>
      )}
    </>
  );
}

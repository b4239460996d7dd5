import { Fragment, useState } from 'react';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { download } from '../lib/api.ts';
import type { MessageView } from '../lib/types.ts';
import { splitCollectPlaceholders } from '../lib/collect-placeholder.ts';
import { errorKey } from './errors.ts';
import { ErrorAlert } from './error-alert.tsx';
import { RestrictedPart } from './restricted.tsx';

const STATUS: Record<string, { mark: string; label: MessageKey; className?: string }> = {
  queued: { mark: '🕓', label: 'status.queued' },
  sending: { mark: '🕓', label: 'status.queued' },
  accepted: { mark: '✓', label: 'status.sent' },
  sent: { mark: '✓', label: 'status.sent' },
  delivered: { mark: '✓✓', label: 'status.delivered' },
  read: { mark: '✓✓', label: 'status.read', className: 'read' },
  played: { mark: '✓✓', label: 'status.read', className: 'read' },
  failed: { mark: '!', label: 'status.failed', className: 'failed' },
  undeliverable: { mark: '!', label: 'status.failed', className: 'failed' },
  send_unknown: { mark: '?', label: 'status.unknown', className: 'failed' },
};

/** One message of any type; media downloads go through the authorised, audited API. */
export function MessageBubble({
  message: m,
  conversationId,
}: {
  message: MessageView;
  conversationId?: string;
}) {
  const { t, dateTime, bytes } = useI18n();
  const [error, setError] = useState<MessageKey | null>(null);
  const status = m.direction === 'outbound' ? STATUS[m.status] : undefined;
  return (
    <li className={`bubble ${m.direction}`} data-testid="message">
      {m.text !== undefined && <MessageText text={m.text} />}
      {m.media && (
        <p>
          <span className="muted">{t(`message.type.${mediaKind(m.type)}`)}</span>{' '}
          {m.media.filename && <span>{m.media.filename} </span>}
          <button
            type="button"
            className="link"
            onClick={() =>
              void download(`/api/v1/media/${m.media!.id}`, m.media!.filename ?? `${m.type}-${m.id}`).catch(
                (e) => setError(errorKey(e)),
              )
            }
          >
            {t('message.download', { size: bytes(m.media.size) })}
          </button>
        </p>
      )}
      {m.type !== 'text' && !m.media && MEDIA_TYPES.has(m.type) && (
        <p className="muted">{t('message.mediaPending')}</p>
      )}
      {m.caption && <p className="text">{m.caption}</p>}
      {m.location && (
        <p>
          <span className="muted">{t('message.location')}</span> {m.location.name ?? ''}{' '}
          {m.location.address ?? ''} ({m.location.latitude.toFixed(5)}, {m.location.longitude.toFixed(5)})
        </p>
      )}
      {m.reply && (
        <p>
          <span className="muted">{t('message.buttonReply')}</span> {m.reply.title}
          {m.reply.description ? ` — ${m.reply.description}` : ''}
        </p>
      )}
      {m.type === 'reaction' && (
        <p>
          <span className="muted">{t('message.reaction')}</span> {m.reaction ?? t('message.reactionRemoved')}
        </p>
      )}
      {m.contacts && (
        <p>
          <span className="muted">{t('message.contacts', { n: m.contacts.length })}</span>{' '}
          {m.contacts.join(', ')}
        </p>
      )}
      {m.template && (
        <p>
          <span className="muted">{t('message.template')}</span> {m.template.name} ({m.template.language})
        </p>
      )}
      {m.type === 'secure_form' && <p className="muted">{t('restricted.secureForm')}</p>}
      {m.restricted && conversationId && (
        <RestrictedPart conversationId={conversationId} messageId={m.id} kinds={m.restricted} />
      )}
      {!KNOWN.has(m.type) && <p className="muted">{t('message.unsupported')}</p>}
      <p className="stamp">
        <time dateTime={m.sentAt}>{dateTime(m.sentAt)}</time>
        {status && (
          <span
            className={`ticks ${status.className ?? ''}`}
            title={t(status.label)}
            aria-label={t(status.label)}
          >
            {status.mark}
          </span>
        )}
      </p>
      <ErrorAlert error={error} />
    </li>
  );
}

const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'document', 'sticker']);
const KNOWN = new Set([
  ...MEDIA_TYPES,
  'text',
  'location',
  'interactive',
  'button',
  'reaction',
  'contacts',
  'template',
  'secure_form',
]);

function mediaKind(type: string): 'image' | 'video' | 'audio' | 'document' | 'sticker' {
  return MEDIA_TYPES.has(type) ? (type as 'image') : 'document';
}

/** A text body; a secure-form link placeholder shows as a label, never as the placeholder itself. */
function MessageText({ text }: { text: string }) {
  const { t } = useI18n();
  return (
    <p className="text">
      {splitCollectPlaceholders(text).map((part, i) =>
        part.kind === 'text' ? (
          <Fragment key={i}>{part.text}</Fragment>
        ) : (
          <span key={i} className="collect-link" data-testid="collect-link-label">
            {t('collect.linkSent')}
          </span>
        ),
      )}
    </p>
  );
}

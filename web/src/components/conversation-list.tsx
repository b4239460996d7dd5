import { useI18n } from '../i18n/index.tsx';
import type { ConversationSummary } from '../lib/types.ts';
import { WindowCountdown } from './window-countdown.tsx';

/** The conversation list: masked customer, unread count, window, last activity. */
export function ConversationList(props: {
  items: ConversationSummary[] | null;
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  const { t, dateTime } = useI18n();
  if (!props.items) return <p>{t('common.loading')}</p>;
  if (props.items.length === 0) return <p className="muted">{t('inbox.none')}</p>;
  return (
    <ul className="conversations" data-testid="conversation-list">
      {props.items.map((c) => (
        <li key={c.id}>
          <button
            type="button"
            className="conversation"
            aria-current={props.selected === c.id ? 'true' : undefined}
            onClick={() => props.onSelect(c.id)}
          >
            <span className="who">
              <span className="name">{c.contact.profileName ?? t('contact.noName')}</span>
              <span className="phone" data-testid="masked-phone">
                {c.contact.phone ?? t('contact.withheld')}
              </span>
            </span>
            <span className="meta">
              {c.unread > 0 && (
                <span className="unread" aria-label={t('inbox.unread', { n: c.unread })}>
                  {c.unread}
                </span>
              )}
              <WindowCountdown expiresAt={c.windowExpiresAt} />
              <span className="muted small">{dateTime(c.lastMessageAt)}</span>
              {c.assignedOperatorIds.length === 0 && <span className="badge">{t('inbox.unassigned')}</span>}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

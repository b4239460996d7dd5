import { useCallback, useEffect, useState } from 'react';
import { ConversationList } from '../components/conversation-list.tsx';
import { ConversationView } from '../components/conversation-view.tsx';
import { errorKey } from '../components/errors.ts';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import { useLiveEvents } from '../lib/live.ts';
import { navigate } from '../lib/router.ts';
import { useSession } from '../lib/session.tsx';
import type { ConversationSummary } from '../lib/types.ts';
import { ErrorAlert } from '../components/error-alert.tsx';

export type InboxView = 'mine' | 'unassigned' | 'all';

/** Conversations on the left, the open one in the middle, its customer on the right. */
export function InboxPage({ conversationId }: { conversationId: string | null }) {
  const { t } = useI18n();
  const { me } = useSession();
  const assigns = me.operator.role === 'admin' || me.operator.role === 'owner';
  const views: InboxView[] = assigns ? ['all', 'unassigned', 'mine'] : ['mine', 'unassigned'];
  const [view, setView] = useState<InboxView>(views[0]!);
  const [list, setList] = useState<ConversationSummary[] | null>(null);
  const [error, setError] = useState<MessageKey | null>(null);
  const [messagesVersion, setMessagesVersion] = useState(0);

  const load = useCallback(async () => {
    try {
      const r = await api<{ conversations: ConversationSummary[] }>(
        'GET',
        `/api/v1/conversations?view=${view}`,
      );
      setList(r.conversations);
      setError(null);
    } catch (e) {
      setError(errorKey(e));
    }
  }, [view]);
  useEffect(() => {
    void load();
  }, [load]);

  useLiveEvents(conversationId, {
    onConversations: () => void load(),
    onMessages: () => setMessagesVersion((v) => v + 1),
    onLost: () => void api('GET', '/api/v1/me').catch(() => undefined),
  });

  return (
    <div className="inbox">
      <section className="pane list-pane" aria-labelledby="inbox-title">
        <h1 id="inbox-title">{t('inbox.title')}</h1>
        <div className="tabs" role="group" aria-label={t('inbox.views')}>
          {views.map((v) => (
            <button key={v} type="button" aria-pressed={view === v} onClick={() => setView(v)}>
              {t(`inbox.view.${v}`)}
            </button>
          ))}
        </div>
        <ErrorAlert error={error} />
        <ConversationList
          items={list}
          selected={conversationId}
          onSelect={(id) => navigate(`/inbox/${id}`)}
        />
      </section>
      {conversationId ? (
        <ConversationView
          key={conversationId}
          id={conversationId}
          messagesVersion={messagesVersion}
          onChanged={() => void load()}
        />
      ) : (
        <section className="pane empty">
          <p>{t('inbox.pick')}</p>
        </section>
      )}
    </div>
  );
}

import { useCallback, useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n/index.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { api } from '../lib/api.ts';
import type { ConversationDetail, MessageView } from '../lib/types.ts';
import { Assignment } from './assignment.tsx';
import { CustomerPanel } from './customer-panel.tsx';
import { errorKey } from './errors.ts';
import { MessageBubble } from './message-bubble.tsx';
import { ReplyBox } from './reply-box.tsx';
import { WindowCountdown } from './window-countdown.tsx';
import { ErrorAlert } from './error-alert.tsx';
import { SecureLinkButton } from './restricted.tsx';

/** One conversation: header with the window and assignment, the messages, the reply box; the customer beside. */
export function ConversationView(props: { id: string; messagesVersion: number; onChanged: () => void }) {
  const { t } = useI18n();
  const [detail, setDetail] = useState<ConversationDetail | null>(null);
  const [messages, setMessages] = useState<MessageView[] | null>(null);
  const [error, setError] = useState<MessageKey | null>(null);
  const bottom = useRef<HTMLDivElement>(null);
  const { id, onChanged } = props;

  const loadDetail = useCallback(async () => {
    try {
      const r = await api<{ conversation: ConversationDetail }>('GET', `/api/v1/conversations/${id}`);
      setDetail(r.conversation);
      return r.conversation;
    } catch (e) {
      setError(errorKey(e));
      return null;
    }
  }, [id]);

  const loadMessages = useCallback(async () => {
    try {
      const r = await api<{ messages: MessageView[] }>('GET', `/api/v1/conversations/${id}/messages`);
      setMessages(r.messages);
      await api('POST', `/api/v1/conversations/${id}/read`);
      onChanged();
    } catch (e) {
      setError(errorKey(e));
    }
  }, [id, onChanged]);

  useEffect(() => {
    void loadDetail().then((d) => (d?.canRead ? loadMessages() : undefined));
  }, [loadDetail, loadMessages, props.messagesVersion]);

  useEffect(() => {
    bottom.current?.scrollIntoView?.({ block: 'end' });
  }, [messages]);

  return (
    <>
      <section className="pane thread" aria-labelledby="thread-title">
        <header className="thread-head">
          <h2 id="thread-title">
            {detail?.contact.profileName ?? t('contact.noName')}{' '}
            <span className="muted">{detail?.contact.phone ?? ''}</span>
          </h2>
          {detail && <WindowCountdown expiresAt={detail.windowExpiresAt} />}
          {detail?.canAssign && (
            <Assignment
              contactId={detail.contact.id}
              assigned={detail.assignedOperatorIds}
              onChanged={() => {
                void loadDetail();
                onChanged();
              }}
            />
          )}
        </header>
        <ErrorAlert error={error} />
        {detail && !detail.canRead && <p className="notice">{t('thread.cannotRead')}</p>}
        <ol className="messages" aria-live="polite" data-testid="messages">
          {messages?.map((m) => (
            <MessageBubble key={m.id} message={m} conversationId={id} />
          ))}
        </ol>
        <div ref={bottom} />
        {detail?.canSend && <SecureLinkButton conversationId={id} onSent={() => void loadMessages()} />}
        {detail?.canSend && (
          <ReplyBox
            conversationId={id}
            windowExpiresAt={detail.windowExpiresAt}
            onSent={() => void loadMessages()}
          />
        )}
      </section>
      {detail && <CustomerPanel detail={detail} onChanged={() => void loadDetail()} />}
    </>
  );
}

import { useEffect, useRef } from 'react';

/**
 * Live updates over Server-Sent Events: which conversations changed (ids only). The handlers refetch
 * through the authorised API. The browser reconnects by itself (with the session's current cookie).
 */
export function useLiveEvents(
  conversationId: string | null,
  handlers: { onConversations(ids: string[]): void; onMessages(): void; onLost(): void },
): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    const url = conversationId
      ? `/api/v1/events?conversation=${encodeURIComponent(conversationId)}`
      : '/api/v1/events';
    const source = new EventSource(url, { withCredentials: true });
    source.addEventListener('conversations', (e) => {
      const { ids } = JSON.parse((e as MessageEvent<string>).data) as { ids: string[] };
      ref.current.onConversations(ids);
    });
    source.addEventListener('messages', () => ref.current.onMessages());
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) ref.current.onLost();
    };
    return () => source.close();
  }, [conversationId]);
}

/** Re-renders every `ms` (countdowns). */
export function useTicker(ms: number, tick: () => void): void {
  const ref = useRef(tick);
  ref.current = tick;
  useEffect(() => {
    const timer = setInterval(() => ref.current(), ms);
    return () => clearInterval(timer);
  }, [ms]);
}

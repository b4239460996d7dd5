import { useState } from 'react';
import { useI18n } from '../i18n/index.tsx';
import { useTicker } from '../lib/live.ts';

/** The 24-hour customer service window: time left, or closed (templates only). */
export function WindowCountdown({ expiresAt }: { expiresAt: string | null }) {
  const { t, duration } = useI18n();
  const [now, setNow] = useState(() => Date.now());
  useTicker(30_000, () => setNow(Date.now()));
  const left = expiresAt ? Date.parse(expiresAt) - now : 0;
  return left > 0 ? (
    <span className="badge open" title={t('window.openHint')}>
      {t('window.open', { time: duration(left) })}
    </span>
  ) : (
    <span className="badge closed" title={t('window.closedHint')}>
      {t('window.closed')}
    </span>
  );
}

import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/index.tsx';

/** The translated error of a form or panel, announced to screen readers; nothing when there is none. */
export function ErrorAlert({ error }: { error: MessageKey | null | undefined }) {
  const { t } = useI18n();
  return error ? (
    <p role="alert" className="error">
      {t(error)}
    </p>
  ) : null;
}

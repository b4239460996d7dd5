import { useI18n, type Lang } from '../i18n/index.tsx';

export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <label className="lang">
      <span>{t('lang.label')}</span>
      <select value={lang} onChange={(e) => setLang(e.target.value as Lang)} data-testid="language">
        <option value="en">{t('lang.en')}</option>
        <option value="zh-CN">{t('lang.zh')}</option>
      </select>
    </label>
  );
}

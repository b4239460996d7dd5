import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en, type MessageKey } from './en.ts';
import { zh } from './zh.ts';

export type Lang = 'en' | 'zh-CN';
export const DICTIONARIES: Record<Lang, Record<MessageKey, string>> = { en, 'zh-CN': zh };
const STORAGE_KEY = 'chatvault.lang';

export interface I18n {
  readonly lang: Lang;
  readonly setLang: (lang: Lang) => void;
  readonly t: (key: MessageKey, values?: Record<string, string | number>) => string;
  readonly dateTime: (iso: string | null | undefined) => string;
  readonly number: (n: number) => string;
  readonly bytes: (n: number) => string;
  /** "5 h 12 min" style, for the service-window countdown. */
  readonly duration: (ms: number) => string;
}

const Context = createContext<I18n | null>(null);

function initialLang(): Lang {
  // Only the language preference is stored in the browser: never anything about a person.
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'zh-CN') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((next: Lang) => {
    localStorage.setItem(STORAGE_KEY, next);
    setLangState(next);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = DICTIONARIES[lang]['app.title'];
  }, [lang]);
  const value = useMemo<I18n>(() => {
    const dict = DICTIONARIES[lang];
    const dates = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
    const numbers = new Intl.NumberFormat(lang);
    const t = (key: MessageKey, values: Record<string, string | number> = {}) =>
      dict[key].replace(/\{(\w+)\}/g, (_, name: string) =>
        typeof values[name] === 'number' ? numbers.format(values[name]) : String(values[name] ?? ''),
      );
    return {
      lang,
      setLang,
      t,
      dateTime: (iso) => (iso ? dates.format(new Date(iso)) : '—'),
      number: (n) => numbers.format(n),
      bytes: (n) =>
        n >= 1_048_576
          ? t('unit.mb', { n: Math.round(n / 104_857.6) / 10 })
          : t('unit.kb', { n: Math.max(1, Math.round(n / 1024)) }),
      duration: (ms) => {
        const minutes = Math.max(0, Math.floor(ms / 60_000));
        return t('unit.hoursMinutes', { h: Math.floor(minutes / 60), m: minutes % 60 });
      },
    };
  }, [lang, setLang]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(Context);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}

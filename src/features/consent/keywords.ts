/**
 * Free-text opt-out / opt-in keywords. Meta does not act on them; we must. A message matches only
 * when its whole text, trimmed, equals a keyword after NFKC folding (full-width letters become
 * ASCII), upper-casing and collapsing inner whitespace: "stop" and "ＳＴＯＰ " match STOP, "please
 * stop calling" does not.
 */

export const DEFAULT_OPT_OUT_KEYWORDS = [
  'STOP',
  'STOP ALL',
  'UNSUBSCRIBE',
  'OPT OUT',
  'OPTOUT',
  'CANCEL',
  'END',
  'QUIT',
  'STOPP', // de, sv, no
  'ABMELDEN',
  'ARRET', // fr
  'ARRÊT',
  'DÉSABONNER',
  'BAJA', // es
  'CANCELAR',
  'PARAR', // pt
  'SAIR',
  'DISISCRIVITI', // it
  '退订', // zh-Hans
  '取消订阅',
  '退訂', // zh-Hant
  '取消訂閱',
  'TD', // common Chinese SMS convention ("退订")
  '配信停止', // ja
  '수신거부', // ko
  'إلغاء', // ar
  'ОТПИСАТЬСЯ', // ru
  'BERHENTI', // ms / id
] as const;

export const DEFAULT_OPT_IN_KEYWORDS = [
  'START',
  'SUBSCRIBE',
  'RESUME',
  'UNSTOP',
  'ANMELDEN',
  'ALTA',
  '订阅',
  '訂閱',
  '恢复订阅',
] as const;

/** Longest keyword we accept in settings; longer inbound texts are not even normalised. */
export const MAX_KEYWORD_LENGTH = 32;

/** The canonical form of a message or keyword: NFKC, trimmed, inner whitespace collapsed, upper case. */
export function normalizeKeyword(text: string): string {
  return text.normalize('NFKC').trim().replace(/\s+/gu, ' ').toUpperCase();
}

export type KeywordIntent = 'opt_out' | 'opt_in';

/** A compiled keyword set: one Set lookup per message. */
export interface KeywordMatcher {
  match(text: string): KeywordIntent | undefined;
}

/**
 * Compiles the keyword lists (opt-out wins if a word is in both).
 * @example compileKeywords(['STOP'], ['START']).match(' ｓｔｏｐ ') // 'opt_out'
 */
export function compileKeywords(optOut: readonly string[], optIn: readonly string[]): KeywordMatcher {
  const table = new Map<string, KeywordIntent>();
  for (const k of optIn) table.set(normalizeKeyword(k), 'opt_in');
  for (const k of optOut) table.set(normalizeKeyword(k), 'opt_out');
  table.delete('');
  // Inbound text longer than this (allowing for spaces and width folding) cannot be a keyword.
  const limit = MAX_KEYWORD_LENGTH * 2 + 8;
  return {
    match(text: string) {
      if (text.length === 0 || text.length > limit) return undefined;
      return table.get(normalizeKeyword(text));
    },
  };
}

/** Quick-reply button payloads / texts that mean "stop marketing" (§3.8 of the reference). */
const BUTTON_OPT_OUT = compileKeywords(
  ['STOP PROMOTIONS', 'UNSUBSCRIBE', 'STOP', 'OPT OUT', 'OPT-OUT', 'STOP_PROMOTIONS', '退订', '取消订阅'],
  ['RESUME PROMOTIONS', 'RESUME_PROMOTIONS', 'SUBSCRIBE', 'START'],
);

/** The intent of a template quick-reply button (`type: "button"`) or an interactive button reply. */
export function buttonIntent(
  payload: string | undefined,
  text: string | undefined,
): KeywordIntent | undefined {
  return (
    (payload !== undefined ? BUTTON_OPT_OUT.match(payload) : undefined) ??
    (text !== undefined ? BUTTON_OPT_OUT.match(text) : undefined)
  );
}

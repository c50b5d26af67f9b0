// Strings live in ../locales/*.json; English and Simplified Chinese, switchable at run time.
import en from '../locales/en.json';
import zh from '../locales/zh-CN.json';
import type { ErrorInfo } from './bindings/ErrorInfo';

type Dict = Record<string, string>;
const dicts: Record<string, Dict> = { en, 'zh-CN': zh };
export const locales = [
  { id: 'en', name: 'English' },
  { id: 'zh-CN', name: '简体中文' },
];

const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('locale') : null;
export const i18n = $state({ locale: saved && dicts[saved] ? saved : 'en' });
if (typeof document !== 'undefined') document.documentElement.lang = i18n.locale;

export function setLocale(id: string) {
  if (!dicts[id]) return;
  i18n.locale = id;
  localStorage.setItem('locale', id);
  document.documentElement.lang = id;
}

export function t(key: string, params: Record<string, string | number> = {}): string {
  const text = dicts[i18n.locale][key] ?? en[key as keyof typeof en] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? `{${k}}`));
}

/// How long ago, in the largest whole unit: seconds, minutes, hours or days.
export function age(secs: number): string {
  if (secs < 60) return t('age.secs', { n: secs });
  if (secs < 3600) return t('age.mins', { n: Math.floor(secs / 60) });
  if (secs < 86400) return t('age.hours', { n: Math.floor(secs / 3600) });
  return t('age.days', { n: Math.floor(secs / 86400) });
}

/// A human sentence for an error, with its code.
export function errorText(e: ErrorInfo): string {
  const key = `error.${e.code}`;
  const known = dicts[i18n.locale][key] ?? (en as Dict)[key];
  let text = known ?? e.message;
  if (e.retryAfterSecs !== null && e.retryAfterSecs !== undefined) text = text.replace('{secs}', String(e.retryAfterSecs));
  if (e.field) text = text.replace('{field}', t(`field.${e.field}`));
  return `${text} (${e.code})`;
}

// Claims as a citizen reads them: a label in the chosen language for every claim name of
// the city's credential types (core/src/credentials/schema.rs), and the value written for
// people: dates in the locale, a biometric hash shortened and named as a hash, the
// biometric modality and scopes in words.
import { t, i18n } from './i18n.svelte';
import type { Claim } from './bindings/Claim';

export function claimLabel(name: string): string {
  return t(`claim.${name}`);
}

export function claimValue(name: string, value: string): string {
  if (name === 'template_hash') return t('claim.hashValue', { start: value.slice(0, 8), end: value.slice(-8) });
  if (name === 'modality') return t(`modality.${value}`);
  if ((name === 'date' || name === 'since') && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return new Date(`${value}T00:00:00Z`).toLocaleDateString(i18n.locale, { timeZone: 'UTC', dateStyle: 'medium' });
  }
  if (name === 'scopes') return value.split(',').join(', ');
  return value;
}

/// A claim as label and value.
export function shown(c: Claim): { label: string; value: string } {
  return { label: claimLabel(c.name), value: claimValue(c.name, c.value) };
}

/// A Unix time as a date in the chosen language.
export function dateText(unix: number): string {
  return new Date(unix * 1000).toLocaleDateString(i18n.locale, { dateStyle: 'medium' });
}

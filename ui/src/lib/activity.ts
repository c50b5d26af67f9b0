// Activity entries in plain words, shared by the activity log and a credential's own
// history: who a disclosure went to (as the chain named them) and what was shown.
import { t } from './i18n.svelte';
import { claimLabel } from './claims';
import type { ActivityItem } from './bindings/ActivityItem';

type Detail = {
  credential?: string;
  verifier?: string;
  verifierName?: string | null;
  verifierKind?: string;
  disclosed?: string[];
  answered?: { credential: string; disclosed: string[] }[];
};

function parse(a: ActivityItem): Detail | null {
  try {
    const d = JSON.parse(a.detail);
    return typeof d === 'object' && d !== null ? (d as Detail) : null;
  } catch {
    return null;
  }
}

export function verifierText(kind: string | undefined, name: string | null | undefined, id: string): string {
  if (kind === 'organisation' && name) return name;
  if (kind === 'officer') return name ? t('request.officerOf', { department: name }) : t('request.officer');
  return id;
}

/// The sentence for a disclosure, or null for other entries.
export function sentence(a: ActivityItem): string | null {
  if (a.kind !== 'credential_presented') return null;
  const d = parse(a);
  if (!d) return null;
  const claims = Array.isArray(d.answered) ? d.answered.flatMap((c) => c.disclosed) : d.disclosed;
  if (!Array.isArray(claims)) return null;
  const who = verifierText(d.verifierKind, d.verifierName, d.verifier ?? '');
  return t('activity.shownTo', { who, claims: claims.map(claimLabel).join(', ') || t('request.nothingMore') });
}

/// Whether entry `a` is about credential `id`.
export function concerns(a: ActivityItem, id: string): boolean {
  const d = parse(a);
  if (!d) return false;
  return d.credential === id || (Array.isArray(d.answered) && d.answered.some((c) => c.credential === id));
}

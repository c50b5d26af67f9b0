// The officer's open check survives switching tabs (the citizen's presentation may be made
// on this same device, in the Present tab).
import type { ChallengeOut } from './bindings/ChallengeOut';

export const officerState: { challenge: ChallengeOut | null; presentation: string; offline: boolean } = $state({
  challenge: null,
  presentation: '',
  offline: false,
});

// The officer's open check survives switching tabs (the citizen's presentation may be made
// on this same device, in the Present tab).
import type { ChallengeOut } from './bindings/ChallengeOut';

export const officerState: { challenge: ChallengeOut | null; presentation: string; offline: boolean } = $state({
  challenge: null,
  presentation: '',
  offline: false,
});

// The officer's open OpenID4VP request and what became of it.
import type { CreatedRequest } from './bindings/CreatedRequest';
import type { RequestOutcome } from './bindings/RequestOutcome';

export const askState: { request: CreatedRequest | null; outcome: RequestOutcome | null } = $state({
  request: null,
  outcome: null,
});

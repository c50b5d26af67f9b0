// The text of the platform's biometric prompt, in the UI's language.
import { t } from './i18n.svelte';
import type { PromptIn } from './bindings/PromptIn';

export function biometricPrompt(purpose: 'unlock' | 'enable'): PromptIn {
  return {
    reason: t(purpose === 'unlock' ? 'biometric.reasonUnlock' : 'biometric.reasonEnable'),
    title: t('biometric.promptTitle'),
    cancel: t('biometric.usePassphrase'),
  };
}

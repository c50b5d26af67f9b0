// Typed calls to the Rust side. Every command's input and output type is generated from Rust
// (./bindings, by ts-rs); errors arrive as a tagged ErrorInfo.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { ErrorInfo } from './bindings/ErrorInfo';
import type { DepartmentDevicesOut } from './bindings/DepartmentDevicesOut';
import type { RestoredOut } from './bindings/RestoredOut';
import type { OfferPreview } from './bindings/OfferPreview';
import type { RequestPreview } from './bindings/RequestPreview';
import type { ChallengePreview } from './bindings/ChallengePreview';
import type { Candidate } from './bindings/Candidate';
import type { AppStatus } from './bindings/AppStatus';
import type { Strength } from './bindings/Strength';
import type { Words } from './bindings/Words';
import type { WordCheck } from './bindings/WordCheck';
import type { Identity } from './bindings/Identity';
import type { CredentialItem } from './bindings/CredentialItem';
import type { CredentialDetail } from './bindings/CredentialDetail';
import type { PresentationOut } from './bindings/PresentationOut';
import type { ChallengeOut } from './bindings/ChallengeOut';
import type { VerdictOut } from './bindings/VerdictOut';
import type { ChainStatus } from './bindings/ChainStatus';
import type { SyncProgress } from './bindings/SyncProgress';
import type { ReportIn } from './bindings/ReportIn';
import type { GrantUsesOut } from './bindings/GrantUsesOut';
import type { ReportsOut } from './bindings/ReportsOut';
import type { ReceiptOut } from './bindings/ReceiptOut';
import type { OrgItem } from './bindings/OrgItem';
import type { GrantIn } from './bindings/GrantIn';
import type { GrantEntry } from './bindings/GrantEntry';
import type { ActivityItem } from './bindings/ActivityItem';
import type { PendingReportsOut } from './bindings/PendingReportsOut';
import type { DeviceIn } from './bindings/DeviceIn';
import type { DeviceItem } from './bindings/DeviceItem';
import type { ProvisionRow } from './bindings/ProvisionRow';
import type { ProvisionProgress } from './bindings/ProvisionProgress';
import type { PromptIn } from './bindings/PromptIn';
import type { NodesOut } from './bindings/NodesOut';
import type { SettingItem } from './bindings/SettingItem';
import type { TrustedOut } from './bindings/TrustedOut';
import type { ReportForm } from './bindings/ReportForm';
import type { Ask } from './bindings/Ask';
import type { CreatedRequest } from './bindings/CreatedRequest';
import type { RequestOutcome } from './bindings/RequestOutcome';

export function isErrorInfo(e: unknown): e is ErrorInfo {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e;
}

export function asErrorInfo(e: unknown): ErrorInfo {
  return isErrorInfo(e) ? e : { code: 'internal', message: String(e), retryAfterSecs: null, field: null };
}

/// Fired when a command finds the wallet locked (the Rust side locks on its own after
/// inactivity, or when a phone comes back from the background after the timeout).
export const LOCKED_EVENT = 'citywallet-locked';

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    const err = asErrorInfo(e);
    if (err.code === 'locked') window.dispatchEvent(new Event(LOCKED_EVENT));
    throw err;
  }
}

export const api = {
  status: () => call<AppStatus>('app_status'),
  strength: (passphrase: string) => call<Strength>('passphrase_strength', { passphrase }),
  create: (passphrase: string) => call<void>('create_wallet', { passphrase }),
  recover: (phrase: string, passphrase: string) => call<void>('recover_wallet', { phrase, passphrase }),
  unlock: (passphrase: string) => call<void>('unlock', { passphrase }),
  unlockBiometric: (prompt: PromptIn) => call<void>('unlock_biometric', { prompt }),
  enableBiometric: (passphrase: string, prompt: PromptIn) =>
    call<void>('enable_biometric', { passphrase, prompt }),
  disableBiometric: () => call<void>('disable_biometric'),
  lock: () => call<void>('lock'),
  changePassphrase: (current: string, next: string) =>
    call<void>('change_passphrase', { current, new: next }),
  revealWords: (passphrase: string) => call<Words>('reveal_words', { passphrase }),
  confirmWords: (checks: WordCheck[]) => call<void>('confirm_words', { checks }),
  setAutoLock: (minutes: number) => call<void>('set_auto_lock', { minutes }),
  identity: () => call<Identity>('identity'),
  credentials: () => call<CredentialItem[]>('credentials'),
  credential: (id: string) => call<CredentialDetail>('credential', { id }),
  demoCredential: (kind: string, priv: boolean) =>
    call<CredentialItem>('request_demo_credential', { kind, private: priv }),
  renewCredential: (id: string) => call<CredentialItem>('renew_credential', { id }),
  importCredential: (json: string) => call<CredentialItem>('import_credential', { json }),
  previewOffer: (offer: string) => call<OfferPreview>('preview_offer', { offer }),
  previewChallenge: (challenge: string) => call<ChallengePreview>('preview_challenge', { challenge }),
  previewRequest: (request: string) => call<RequestPreview>('preview_request', { request }),
  answerRequest: (request: string, choose: Record<string, string>) =>
    call<Candidate[]>('answer_request', { request, choose }),
  refuseRequest: (request: string) => call<void>('refuse_request', { request }),
  acceptOffer: (offer: string, txCode: string | null, priv: boolean) =>
    call<CredentialItem>('accept_offer', { offer, txCode, private: priv }),
  deleteCredential: (id: string) => call<void>('delete_credential', { id }),
  present: (credentialId: string, disclose: string[], challenge: string) =>
    call<PresentationOut>('present', { credentialId, disclose, challenge }),
  newChallenge: () => call<ChallengeOut>('new_challenge'),
  verify: (presentation: string, challenge: string, offline: boolean) =>
    call<VerdictOut>('verify_presentation', { presentation, challenge, offline }),
  askForms: () => call<Ask[]>('ask_forms'),
  officerAsk: (asks: Ask[]) => call<CreatedRequest>('officer_ask', { asks }),
  requestOutcome: (id: string) => call<RequestOutcome>('request_outcome', { id }),
  sync: () => call<ChainStatus>('sync_chain'),
  chainStatus: () => call<ChainStatus>('chain_status'),
  reanchor: () => call<ChainStatus>('reanchor'),
  trustAt: (height: number, hash: string) => call<TrustedOut>('trust_at', { height, hash }),
  trustAnchor: (anchor: string) => call<TrustedOut>('trust_anchor', { anchor }),
  nodes: () => call<NodesOut>('nodes'),
  addNode: (url: string, witness: boolean) => call<NodesOut>('add_node', { url, witness }),
  removeNode: (url: string) => call<NodesOut>('remove_node', { url }),
  settings: () => call<SettingItem[]>('settings'),
  setSetting: (name: string, value: number) => call<SettingItem[]>('set_setting', { name, value }),
  reportForm: () => call<ReportForm>('report_form'),
  submitReport: (report: ReportIn) => call<ReceiptOut>('submit_report', { report }),
  restoreFromChain: () => call<RestoredOut>('restore_from_chain'),
  grantUses: (grant: string) => call<GrantUsesOut>('grant_uses', { grant }),
  reports: () => call<ReportsOut>('reports'),
  receipt: (subject: string) => call<ReceiptOut>('receipt', { subject }),
  organisations: () => call<OrgItem[]>('organisations'),
  createGrant: (grant: GrantIn) => call<ReceiptOut>('create_grant', { grant }),
  revokeGrant: (id: string) => call<ReceiptOut>('revoke_grant', { id }),
  grants: () => call<GrantEntry[]>('grants'),
  activity: () => call<ActivityItem[]>('activity'),
  exportVault: () => call<string>('export_vault'),
  importVault: (path: string, passphrase: string) => call<void>('import_vault', { path, passphrase }),
  pendingReports: (older: string | null = null) => call<PendingReportsOut>('pending_reports', { older }),
  reviewReport: (id: string, accept: boolean, reward: number) =>
    call<ReceiptOut>('review_report', { id, accept, reward }),
  provision: (device: DeviceIn) => call<DeviceItem>('provision_device', { device }),
  provisionCsv: (csv: string) => call<ProvisionRow[]>('provision_csv', { csv }),
  devices: () => call<DeviceItem[]>('devices'),
  departmentDevices: (from = 0) => call<DepartmentDevicesOut>('department_devices', { from }),
  revokeDevice: (id: string) => call<ReceiptOut>('revoke_device', { id }),
  exportBundle: (deviceId: string, devicePassphrase: string) =>
    call<string>('export_bundle', { deviceId, devicePassphrase }),
};

export const events = {
  syncProgress: (f: (p: SyncProgress) => void): Promise<UnlistenFn> =>
    listen<SyncProgress>('sync-progress', (e) => f(e.payload)),
  provisionProgress: (f: (p: ProvisionProgress) => void): Promise<UnlistenFn> =>
    listen<ProvisionProgress>('provision-progress', (e) => f(e.payload)),
  locked: (f: () => void): Promise<UnlistenFn> => listen('locked', () => f()),
};

/// SHA-256 of a file, computed here: the file itself never leaves the device.
export async function sha256Hex(file: File): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function svgDataUrl(svg: string): string {
  return 'data:image/svg+xml;base64,' + btoa(svg);
}

// What this build can do on this device (camera scanning, biometric unlock), as the Rust
// side reports it in the app status. App.svelte keeps it current.
import type { PlatformInfo } from './bindings/PlatformInfo';

export const platform = $state<{ info: PlatformInfo | null }>({ info: null });

/// The largest text file the paste fallback reads (a presentation is about 1 KiB).
export const MAX_TEXT_FILE_BYTES = 64 * 1024;

/// Scan one QR code with the camera (phone builds, barcode-scanner plugin). Resolves to its
/// text, or null when the user cancelled. The plugin's module is loaded only when used.
export async function scanQr(): Promise<string | null> {
  const scanner = await import('@tauri-apps/plugin-barcode-scanner');
  let permission = await scanner.checkPermissions();
  if (permission !== 'granted') permission = await scanner.requestPermissions();
  if (permission !== 'granted') {
    throw { code: 'camera_denied', message: 'camera permission was not granted', retryAfterSecs: null, field: null };
  }
  const result = await scanner.scan({ windowed: false, formats: [scanner.Format.QRCode] });
  return result?.content ?? null;
}

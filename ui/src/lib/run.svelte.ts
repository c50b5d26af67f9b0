// A small helper for views: run an action, keep its error and a busy flag.
import { asErrorInfo } from './api';
import type { ErrorInfo } from './bindings/ErrorInfo';

export class Task {
  error: ErrorInfo | null = $state(null);
  busy = $state(false);

  async run<T>(f: () => Promise<T>): Promise<T | undefined> {
    this.error = null;
    this.busy = true;
    try {
      return await f();
    } catch (e) {
      this.error = asErrorInfo(e);
      return undefined;
    } finally {
      this.busy = false;
    }
  }
}

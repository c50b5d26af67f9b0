// A small helper for views: run an action, keep its error and a busy flag.
import { asAppError } from './api';
import type { AppError } from './bindings/AppError';

export class Task {
  error: AppError | null = $state(null);
  busy = $state(false);

  async run<T>(f: () => Promise<T>): Promise<T | undefined> {
    this.error = null;
    this.busy = true;
    try {
      return await f();
    } catch (e) {
      this.error = asAppError(e);
      return undefined;
    } finally {
      this.busy = false;
    }
  }
}

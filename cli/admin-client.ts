import { adminCall as call, AdminCallError, type AdminTarget } from '../core/adapters/admin-api/client.ts';
import { UserError, EXIT } from './errors.ts';

export type { AdminTarget };

/** The admin API for a command: a refusal or no answer becomes the user error with its exit code. */
export async function adminCall<T>(
  target: AdminTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs?: number,
): Promise<T> {
  try {
    return await call<T>(target, method, path, body, timeoutMs);
  } catch (e) {
    if (e instanceof AdminCallError) throw new UserError(e.message, e.kind === 'refused' ? EXIT.rejected : EXIT.unreachable);
    throw e;
  }
}

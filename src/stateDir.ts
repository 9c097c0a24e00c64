import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * The default state dir, shared by the supervisor (`<dir>/<name>/state.json`, …) and the library's discovery
 * (`<dir>/membership-<port>.json`): `~/.local/state/graceful-elb` of the user running the process. The home dir
 * comes from the password database, not $HOME: CodeDeploy runs hooks through `su` for `runas`, and an inherited
 * HOME would point one user at another's directory. Per user on purpose: only the same user (or root) can
 * signal the supervisor anyway, so all three hooks must use the same `runas`.
 */
export function defaultStateDir(): string {
  try {
    return join(userInfo().homedir, '.local', 'state', 'graceful-elb');
  } catch {
    // No password entry (some containers run as an arbitrary uid).
    return join(tmpdir(), `graceful-elb-${process.getuid?.() ?? 'user'}`);
  }
}

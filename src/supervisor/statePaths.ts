import { mkdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';

/** The files of one supervised app: `<stateDir>/<name>/…`. */
export interface StatePaths {
  /** `<stateDir>/<name>` */
  dir: string;
  /** SupervisorState as JSON, replaced atomically on every change. */
  state: string;
  /** Held by the live supervisor (its pid); created with O_EXCL so two supervisors cannot both own it. */
  lock: string;
  /** Written by `stop` before it signals the supervisor: the bound to apply. */
  stopRequest: string;
  /** The app's stdout and stderr (the previous run's are kept as `.1`). */
  outLog: string;
  errLog: string;
  /** The supervisor's own JSON log lines (and anything it prints if it crashes). */
  supervisorLog: string;
}

/**
 * The default state dir: `~/.local/state/graceful-elb` of the user running the command. The home dir comes
 * from the password database, not $HOME: CodeDeploy runs hooks through `su` for `runas`, and an inherited
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

export function statePaths(stateDir: string, name: string): StatePaths {
  const dir = resolve(stateDir, name);
  return {
    dir,
    state: join(dir, 'state.json'),
    lock: join(dir, 'supervisor.lock'),
    stopRequest: join(dir, 'stop-request.json'),
    outLog: join(dir, 'app.out.log'),
    errLog: join(dir, 'app.err.log'),
    supervisorLog: join(dir, 'supervisor.log'),
  };
}

/** Creates the directory readable by its owner only: the logs may hold whatever the app prints. */
export function ensureStateDir(paths: StatePaths): void {
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
}

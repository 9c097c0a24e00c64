import { join, resolve } from 'node:path';
import { checkPrivateDir, ensurePrivateDir } from '../privateDir.js';

export { defaultStateDir } from '../stateDir.js';

/** The files of one supervised app: `<stateDir>/<name>/…`. */
export interface StatePaths {
  /** The state dir itself (`--state-dir`), shared by the apps of one user. */
  root: string;
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

export function statePaths(stateDir: string, name: string): StatePaths {
  const dir = resolve(stateDir, name);
  return {
    root: resolve(stateDir),
    dir,
    state: join(dir, 'state.json'),
    lock: join(dir, 'supervisor.lock'),
    stopRequest: join(dir, 'stop-request.json'),
    outLog: join(dir, 'app.out.log'),
    errLog: join(dir, 'app.err.log'),
    supervisorLog: join(dir, 'supervisor.log'),
  };
}

/**
 * Creates the state dir and the app's folder readable by their owner only (the logs may hold whatever the app
 * prints), and refuses either one when someone else owns it or may write to it (UnsafeStateDirError).
 */
export function ensureStateDir(paths: StatePaths): void {
  ensurePrivateDir(paths.root);
  ensurePrivateDir(paths.dir);
}

/** The same refusal for commands that only read (missing dirs pass: nothing is running there). */
export function checkStateDir(paths: StatePaths): void {
  checkPrivateDir(paths.root);
  checkPrivateDir(paths.dir);
}

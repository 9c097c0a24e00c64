import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export { defaultStateDir } from '../stateDir.js';

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

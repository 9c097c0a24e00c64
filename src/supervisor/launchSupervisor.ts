import { spawn } from 'node:child_process';
import { closeSync, renameSync } from 'node:fs';
import { AlreadyRunningError, SupervisorStartError } from './errors.js';
import { openPrivateAppend } from '../privateFiles.js';
import { SUPERVISOR_DEFAULTS } from './defaults.js';
import { fileSize, logTail } from './logTail.js';
import { pollUntil } from './pollUntil.js';
import { readState, type SupervisorState } from './stateFile.js';
import { ensureStateDir, type StatePaths } from './statePaths.js';
import { lockHolder } from './supervisorLock.js';

export interface LaunchOptions {
  paths: StatePaths;
  /** The command that runs the supervisor in the foreground (`graceful-elb start --foreground …`). */
  command: { file: string; args: string[] };
  cwd: string;
  env: NodeJS.ProcessEnv;
  spawnTimeoutSeconds: number;
}

/**
 * Starts the supervisor as a detached background process and resolves with its state once it reports the
 * app spawned; the caller (a CodeDeploy hook) then returns at once.
 */
export async function launchSupervisor(options: LaunchOptions): Promise<SupervisorState> {
  const { paths } = options;
  ensureStateDir(paths);
  const holder = lockHolder(paths.lock);
  if (holder !== undefined) throw new AlreadyRunningError(paths.dir, holder.pid);

  if (fileSize(paths.supervisorLog) > SUPERVISOR_DEFAULTS.supervisorLogMaxBytes) {
    renameSync(paths.supervisorLog, `${paths.supervisorLog}.1`);
  }
  const logOffset = fileSize(paths.supervisorLog);
  const logFd = openPrivateAppend(paths.supervisorLog);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const child = (() => {
    try {
      // Detached, and no pipe back to the hook: the CodeDeploy agent waits for every handle of the hook
      // script to close, so a background process holding its stdout would block the hook until its timeout.
      return spawn(options.command.file, options.command.args, {
        detached: true,
        stdio: ['ignore', logFd, logFd],
        cwd: options.cwd,
        env: options.env,
      });
    } finally {
      closeSync(logFd);
    }
  })();
  child.once('error', (error) => (spawnError = error));
  child.once('exit', (code, signal) => (exit = { code, signal }));

  const spawned = (): SupervisorState | undefined => {
    const state = readState(paths.state);
    return state && state.supervisor.pid === child.pid && state.app.process !== undefined ? state : undefined;
  };
  const state = await pollUntil(() => spawned() ?? (exit || spawnError ? null : undefined), {
    timeoutMs: options.spawnTimeoutSeconds * 1000,
    intervalMs: 50,
  });
  // The supervisor may have exited (the app died at once) after writing that it spawned the app.
  const final = state ?? spawned();
  if (final) {
    child.unref();
    return final;
  }
  const output = logTail(paths.supervisorLog, SUPERVISOR_DEFAULTS.logTailLines, logOffset);
  if (spawnError) throw new SupervisorStartError(`Cannot run the supervisor: ${spawnError.message}`, { cause: spawnError });
  if (exit) {
    // Lost a race with another `start`: say so as plainly as the check above would have.
    const winner = lockHolder(paths.lock);
    if (winner !== undefined && winner.pid !== child.pid) throw new AlreadyRunningError(paths.dir, winner.pid);
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    throw new SupervisorStartError(`The supervisor ${how} before the app was spawned${output ? `:\n${output}` : ''}`);
  }
  child.kill('SIGTERM');
  child.unref();
  throw new SupervisorStartError(
    `The supervisor did not report the app spawned within ${options.spawnTimeoutSeconds} s; it was sent SIGTERM` +
      (output ? `:\n${output}` : ''),
  );
}

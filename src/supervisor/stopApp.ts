import { resolve } from 'node:path';
import { ScriptMismatchError, StopTimeoutError } from './errors.js';
import { EXIT_CODES as LIBRARY_EXIT_CODES } from '../exitCodes.js';
import { SUPERVISOR_DEFAULTS } from './defaults.js';
import { pollUntil } from './pollUntil.js';
import { isProcessRunning, type ProcessIdentity } from './processIdentity.js';
import { readState, writeJsonFileAtomic, type StopRequest, type SupervisorState } from './stateFile.js';
import type { StatePaths } from './statePaths.js';

/** LeaveFailedError's code, as the library sends it over IPC. */
const LEAVE_FAILED_CODE = 'ERR_GRACEFUL_ELB_LEAVE_FAILED';

export interface StopOptions {
  paths: StatePaths;
  /** Seconds between SIGTERM and SIGKILL; default: the bound the supervisor recorded at start. */
  timeoutSeconds?: number;
  /** Only stop if the supervisor runs this script (forever's `stop <script>`). */
  script?: string;
}

export type StopResult =
  | { stopped: false; last?: SupervisorState }
  | {
      stopped: true;
      pid: number;
      elapsedMs: number;
      state: SupervisorState;
      withoutSupervisor: boolean;
      /** The app reported it could not leave every balancer (exit 4, LEAVE_FAILED): what it said. */
      leaveFailed?: string;
    };

/**
 * Stops the supervised app: a stop request (the bound) is written, the supervisor gets SIGTERM, sends
 * SIGTERM to the app, escalates to SIGKILL after the bound and exits; this waits for that, bounded too.
 * Nothing running is not an error: CodeDeploy runs ApplicationStop of the previous revision even when
 * that revision never started.
 */
export async function stopApp(options: StopOptions): Promise<StopResult> {
  const { paths } = options;
  const state = readState(paths.state);
  const supervisorRunning = state !== undefined && isProcessRunning(state.supervisor);
  const app = state?.app.process;
  const appRunning = app !== undefined && isProcessRunning(app);
  if (!state || (!supervisorRunning && !appRunning)) return { stopped: false, ...(state ? { last: state } : {}) };

  if (options.script !== undefined && resolve(options.script) !== state.app.script) {
    throw new ScriptMismatchError(resolve(options.script), state.app.script);
  }
  const timeoutSeconds = options.timeoutSeconds ?? state.stopTimeoutSeconds;
  const startedAt = Date.now();
  const pid = app?.pid ?? 0;

  if (!supervisorRunning && app) return stopOrphan(paths, state, app, timeoutSeconds, startedAt);

  const request: StopRequest = { timeoutSeconds, requestedAt: Date.now(), pid: process.pid };
  writeJsonFileAtomic(paths.stopRequest, request);
  signal(state.supervisor.pid, 'SIGTERM');
  const ended = await waitGone(state.supervisor, timeoutSeconds * 1000 + SUPERVISOR_DEFAULTS.killGraceMs);
  if (!ended) {
    if (app) signal(app.pid, 'SIGKILL');
    signal(state.supervisor.pid, 'SIGKILL');
    throw new StopTimeoutError(
      pid,
      timeoutSeconds,
      `the supervisor (pid ${state.supervisor.pid}) did not finish either; both were killed with SIGKILL`,
    );
  }
  const final = readState(paths.state) ?? state;
  if (final.stop?.escalatedAt !== undefined) {
    throw new StopTimeoutError(pid, timeoutSeconds, 'it was killed with SIGKILL (its drain was cut short)');
  }
  const leaveFailed = leaveFailure(final, pid);
  return { stopped: true, pid, elapsedMs: Date.now() - startedAt, state: final, withoutSupervisor: false, ...(leaveFailed !== undefined && { leaveFailed }) };
}

/**
 * What the library said when it could not leave a balancer: its last lifecycle message carries LEAVE_FAILED, or the
 * app exited with the library's leave-failed code (4) without a message reaching the supervisor.
 */
function leaveFailure(state: SupervisorState, pid: number): string | undefined {
  const error = state.lifecycle?.error;
  if (error?.code === LEAVE_FAILED_CODE) return error.message;
  const exit = state.lastExit;
  if (exit?.pid === pid && exit.code === LIBRARY_EXIT_CODES.leaveFailed) return `the app exited with code ${exit.code}: it could not leave every balancer`;
  return undefined;
}

/** The supervisor died (SIGKILL, OOM) but its app lives on: signal the app directly. */
async function stopOrphan(
  paths: StatePaths,
  state: SupervisorState,
  app: ProcessIdentity,
  timeoutSeconds: number,
  startedAt: number,
): Promise<StopResult> {
  signal(app.pid, 'SIGTERM');
  const exited = await waitGone(app, timeoutSeconds * 1000);
  const final: SupervisorState = {
    ...state,
    status: 'stopped',
    stop: { requestedAt: startedAt, timeoutSeconds, ...(exited ? {} : { escalatedAt: Date.now() }) },
    reason: `stopped by \`graceful-elb stop\` directly: the supervisor (pid ${state.supervisor.pid}) was gone`,
    updatedAt: Date.now(),
  };
  if (!exited) {
    signal(app.pid, 'SIGKILL');
    await waitGone(app, SUPERVISOR_DEFAULTS.killGraceMs);
  }
  writeJsonFileAtomic(paths.state, final);
  if (!exited) throw new StopTimeoutError(app.pid, timeoutSeconds, 'it was killed with SIGKILL (its drain was cut short)');
  return { stopped: true, pid: app.pid, elapsedMs: Date.now() - startedAt, state: final, withoutSupervisor: true };
}

async function waitGone(identity: ProcessIdentity, timeoutMs: number): Promise<boolean> {
  const gone = await pollUntil(() => (isProcessRunning(identity) ? undefined : true), {
    timeoutMs,
    intervalMs: SUPERVISOR_DEFAULTS.pollIntervalMs,
  });
  return gone === true;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already (ESRCH): what we wanted.
  }
}

// Errors of the supervisor and the commands the hooks run (start, stop, validate).
import { describeValue, GracefulElbError } from '../errors.js';

/** `graceful-elb start` found a live supervisor for the same state dir and name: no second copy is started. */
export class AlreadyRunningError extends GracefulElbError {
  readonly stateDir: string;
  readonly pid: number;

  constructor(stateDir: string, pid: number, options?: { cause?: unknown }) {
    super(
      'ERR_GRACEFUL_ELB_ALREADY_RUNNING',
      `A supervisor is already running for ${stateDir} (pid ${pid}); run \`graceful-elb stop\` first, or use another --state-dir or --name`,
      options,
    );
    this.stateDir = stateDir;
    this.pid = pid;
  }
}

/** The detached supervisor did not come up, or did not report the app spawned within its bound. */
export class SupervisorStartError extends GracefulElbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_SUPERVISOR_START', message, options);
  }
}

/** The app did not exit within the stop bound after SIGTERM and was killed with SIGKILL. */
export class StopTimeoutError extends GracefulElbError {
  readonly pid: number;
  readonly timeoutSeconds: number;

  constructor(pid: number, timeoutSeconds: number, detail: string, options?: { cause?: unknown }) {
    super(
      'ERR_GRACEFUL_ELB_STOP_TIMEOUT',
      `The app (pid ${pid}) did not exit within ${timeoutSeconds} s of SIGTERM; ${detail}`,
      options,
    );
    this.pid = pid;
    this.timeoutSeconds = timeoutSeconds;
  }
}

/** Why `graceful-elb validate` gave up. */
export type ValidateFailureReason =
  | 'not-running' // no supervisor, or it has already ended
  | 'app-exited' // the app exited (and was restarted, or not) while being validated
  | 'app-failed' // the library reported state 'failed' (health route, balancer never InService)
  | 'no-balancer' // the library runs without a balancer (state 'serving') and that was not allowed
  | 'shutting-down' // the app is leaving / draining / closing
  | 'timeout'; // not in service within --timeout

/** The app is not in service, for the reason named. */
export class ValidateFailedError extends GracefulElbError {
  readonly reason: ValidateFailureReason;

  constructor(reason: ValidateFailureReason, message: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_VALIDATE_FAILED', message, options);
    this.reason = reason;
  }
}

/** A state file exists but cannot be read or parsed (nothing is guessed from a broken one). */
export class StateFileError extends GracefulElbError {
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_STATE_FILE', `${message} (${path})`, options);
    this.path = path;
  }
}

/** `graceful-elb stop <script>` named a script other than the one the supervisor runs. */
export class ScriptMismatchError extends GracefulElbError {
  readonly expected: string;
  readonly running: string;

  constructor(expected: string, running: string, options?: { cause?: unknown }) {
    super(
      'ERR_GRACEFUL_ELB_SCRIPT_MISMATCH',
      `Asked to stop ${describeValue(expected)} but the supervisor runs ${describeValue(running)}; nothing was stopped`,
      options,
    );
    this.expected = expected;
    this.running = running;
  }
}

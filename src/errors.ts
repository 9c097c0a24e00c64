/**
 * Every failure graceful-elb reports is one of these classes: a stable `code` to branch on,
 * a message for people, and the underlying error (AWS SDK, socket, IMDS) as `cause`.
 */
export class GracefulElbError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option (or the env var that overrides it) has a value the library cannot use. */
export class InvalidOptionError extends GracefulElbError {
  readonly option: string;
  readonly value: unknown;

  constructor(option: string, value: unknown, expected: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_INVALID_OPTION', `Expected \`${option}\` to be ${expected}, got ${describeValue(value)}`, options);
    this.option = option;
    this.value = value;
  }
}

/** Renders a bad value for an error message without dumping whole objects (or secrets) into it. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const ctor = (value as object).constructor?.name;
  return ctor && ctor !== 'Object' ? `an instance of ${ctor}` : 'an object';
}

// ── Core library (gracefulElb): startup, balancer API, shutdown ─────────────────────────────────────

/** Instance identity (instance id / region) could not be read from IMDS and no override was given. */
export class IdentityError extends GracefulElbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_IDENTITY', message, options);
  }
}

/** The app's own health route never answered 2xx within the probe bound: the instance was not registered. */
export class HealthCheckFailedError extends GracefulElbError {
  readonly url: string;
  /** The last HTTP status seen, if any request got an answer at all. */
  readonly lastStatus: number | undefined;

  constructor(url: string, timeoutMs: number, lastStatus: number | undefined, options?: { cause?: unknown }) {
    const seen = lastStatus === undefined ? 'no answer' : `last status ${lastStatus}`;
    super('ERR_GRACEFUL_ELB_HEALTH_NEVER_PASSED', `Health route ${url} did not answer 2xx within ${timeoutMs} ms (${seen})`, options);
    this.url = url;
    this.lastStatus = lastStatus;
  }
}

/** A balancer never reported this instance in service within the bound. */
export class NotInServiceError extends GracefulElbError {
  readonly balancer: string;
  readonly lastState: string | undefined;

  constructor(balancer: string, timeoutMs: number, lastState: string | undefined, options?: { cause?: unknown }) {
    super(
      'ERR_GRACEFUL_ELB_NEVER_IN_SERVICE',
      `${balancer} did not report this instance in service within ${timeoutMs} ms (last state: ${lastState ?? 'unknown'})`,
      options,
    );
    this.balancer = balancer;
    this.lastState = lastState;
  }
}

/** A load balancer API call failed for good (after retries), or with an error that is not worth retrying. */
export class BalancerApiError extends GracefulElbError {
  readonly balancer: string;
  readonly action: string;

  constructor(balancer: string, action: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `${options.cause.name}: ${options.cause.message}` : 'unknown error';
    super('ERR_GRACEFUL_ELB_BALANCER_API', `${action} on ${balancer} failed (${reason})`, options);
    this.balancer = balancer;
    this.action = action;
  }
}

/**
 * One load balancer API call (connect, request and whole response) took longer than `apiTimeoutMs`. Retried like a
 * network error by Register/Deregister; the polls carry on past it.
 */
export class ApiCallTimeoutError extends GracefulElbError {
  readonly action: string;
  readonly timeoutMs: number;

  constructor(action: string, timeoutMs: number) {
    super('ERR_GRACEFUL_ELB_API_TIMEOUT', `${action} did not complete within apiTimeoutMs (${timeoutMs} ms)`);
    this.action = action;
    this.timeoutMs = timeoutMs;
  }
}

/** The shutdown could not leave these balancers: the instance may still be registered with them (exit code 4). */
export class LeaveFailedError extends GracefulElbError {
  readonly balancers: readonly string[];

  constructor(balancers: readonly string[], options?: { cause?: unknown }) {
    super(
      'ERR_GRACEFUL_ELB_LEAVE_FAILED',
      `Could not leave ${balancers.join(', ')}: the instance may still be registered (the failing health route takes it out of service)`,
      options,
    );
    this.balancers = balancers;
  }
}

/** `ready` rejects with this when a shutdown started before the instance was in service. */
export class ShutdownBeforeReadyError extends GracefulElbError {
  constructor(reason: string) {
    super('ERR_GRACEFUL_ELB_SHUTDOWN_BEFORE_READY', `Shutdown (${reason}) started before the instance was in service`);
  }
}

/** The shutdown hit its hard deadline (drainSeconds + grace) with work still open: the process exits non-zero. */
export class ShutdownTimeoutError extends GracefulElbError {
  constructor(deadlineMs: number, openRequests: number) {
    super('ERR_GRACEFUL_ELB_SHUTDOWN_TIMEOUT', `Shutdown did not finish within ${deadlineMs} ms; ${openRequests} request(s) still open`);
  }
}

/** A second signal arrived during shutdown: the process exits at once. */
export class ForcedBySignalError extends GracefulElbError {
  readonly signal: string;

  constructor(signal: string) {
    super('ERR_GRACEFUL_ELB_FORCED_BY_SIGNAL', `Second ${signal} during shutdown: exiting at once`);
    this.signal = signal;
  }
}

// ── Supervisor, hooks and CLI (deploy) ──────────────────────────────────────────────────────────

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

/**
 * The state dir (or its app subfolder, or a file in it) could be written by someone other than the running user, or
 * a file there is a symlink: nothing in it is trusted (the CLI exits 5). Fix the ownership or mode, or choose another
 * `--state-dir`.
 */
export class UnsafeStateDirError extends GracefulElbError {
  readonly path: string;

  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_UNSAFE_STATE_DIR', `Refusing to use ${path}: it ${problem}`, options);
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

// ── Target groups (ALB/NLB), several balancers, discovery ───────────────────────────────────────────

/** Discovery (`discover` / GRACEFUL_ELB_DISCOVER) could not list the balancers holding this instance. */
export class DiscoveryError extends GracefulElbError {
  readonly action: string;

  constructor(action: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `${options.cause.name}: ${options.cause.message}` : 'unknown error';
    super('ERR_GRACEFUL_ELB_DISCOVERY', `Discovering the balancers that hold this instance failed: ${action} (${reason})`, options);
    this.action = action;
  }
}

/** Discovery found no balancer holding this instance and none was remembered from a previous run. */
export class NothingDiscoveredError extends GracefulElbError {
  readonly instanceId: string;
  readonly stateFile: string;

  constructor(instanceId: string, stateFile: string) {
    super(
      'ERR_GRACEFUL_ELB_NOTHING_DISCOVERED',
      `No Classic ELB or target group holds ${instanceId}, and ${stateFile} remembers none: nothing to join ` +
        '(register the instance once, or name the balancers with elbName / targetGroupArn)',
    );
    this.instanceId = instanceId;
    this.stateFile = stateFile;
  }
}

/** The file that remembers the discovered balancers across a restart could not be written. */
export class MembershipStateError extends GracefulElbError {
  readonly path: string;

  constructor(path: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? options.cause.message : 'unknown error';
    super(
      'ERR_GRACEFUL_ELB_MEMBERSHIP_STATE',
      `Cannot write ${path} (the balancers to rejoin after a restart): ${reason}; set stateFile or GRACEFUL_ELB_STATE_DIR to a writable place`,
      options,
    );
    this.path = path;
  }
}

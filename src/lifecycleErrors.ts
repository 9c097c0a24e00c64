// Errors of the library's lifecycle (gracefulElb): identity, the health probe, the shutdown.
import { GracefulElbError } from './errors.js';

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

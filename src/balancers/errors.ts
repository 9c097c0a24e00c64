// Errors of the balancers: their APIs, joining (InService), discovery and the remembered membership.
import { GracefulElbError } from '../errors.js';

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

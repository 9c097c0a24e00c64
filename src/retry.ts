import { setTimeout as delay } from 'node:timers/promises';

/** How hard to retry one balancer API call. */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly maxAttempts: number;
  /** Delay cap of the first retry; doubles each attempt. */
  readonly baseMs: number;
  /** Cap of one delay, whatever the attempt. */
  readonly maxDelayMs: number;
}

export interface RetryHooks {
  readonly signal?: AbortSignal;
  readonly isRetryable?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to log the throttling. */
  readonly onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Injected by tests to make the jitter deterministic. */
  readonly random?: () => number;
}

/**
 * "Full jitter" (AWS Architecture Blog, Exponential Backoff and Jitter): a uniformly random delay between 0 and
 * the exponential cap. With a fleet of instances deploying at once, this spreads the retries instead of having them
 * all hit a throttled API at the same instants.
 */
export function fullJitterDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * cap);
}

/**
 * Runs `operation` until it succeeds, the error is not retryable, the attempts are spent, or `signal` aborts.
 * The last error is thrown as is (callers wrap it with their context).
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, policy: RetryPolicy, hooks: RetryHooks = {}): Promise<T> {
  const { signal, isRetryable = isRetryableAwsError, onRetry, random = Math.random } = hooks;
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt + 1 >= policy.maxAttempts || !isRetryable(error) || signal?.aborted) throw error;
      const delayMs = fullJitterDelayMs(attempt, policy, random);
      onRetry?.({ attempt: attempt + 1, delayMs, error });
      // Referenced (unlike the lifecycle's polling): a pending, bounded retry is work the process should finish.
      await delay(delayMs, undefined, { signal });
    }
  }
}

// Error codes AWS services use for "slow down" (the SDK's own list, plus the Query-protocol spellings ELB uses on the
// wire: `Throttling`). Written out here rather than imported from a transitive @smithy package we do not depend on.
const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
  'DependencyThrottleException',
]);

// Failures of the transport rather than of the request: the call may well succeed next time.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
// The last one is ApiCallTimeoutError's code: a call the library itself gave up on after apiTimeoutMs.
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ERR_GRACEFUL_ELB_API_TIMEOUT']);

interface AwsErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
  cause?: unknown;
}

/** Throttling (any of AWS's codes), HTTP 5xx, timeouts and network errors are retryable; other 4xx are not. */
export function isRetryableAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as AwsErrorShape;
  if (e.name === 'AbortError') return false;
  for (const code of [e.name, e.code, e.Code]) {
    if (typeof code === 'string' && (THROTTLING_CODES.has(code) || NETWORK_CODES.has(code) || TIMEOUT_NAMES.has(code))) return true;
  }
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && (status >= 500 || status === 429)) return true;
  if (e.$retryable) return true;
  return e.cause !== undefined && e.cause !== error && isRetryableAwsError(e.cause);
}

/** True for the error an aborted `AbortSignal` produces (ours, the SDK's, or timers'). */
export function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

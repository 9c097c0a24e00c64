/**
 * The contract between the library (in the app process) and the supervisor (`graceful-elb start`):
 * when the app has an IPC channel, the library sends one of these on every state change, plus the
 * plain string 'ready' once the balancer reports the instance in service (PM2 and forever know it).
 */
export type LifecycleState =
  | 'starting' // options checked, waiting for the server to listen and for the identity
  | 'probing' // probing the app's own health route on the loopback
  | 'registering' // RegisterInstances / RegisterTargets in flight
  | 'joining' // registered, waiting for the balancer to report in service
  | 'in-service' // every balancer reports this instance in service; `ready` resolved
  | 'serving' // no balancer (off EC2, no endpoint): serving alone; `ready` resolved
  | 'standby' // Auto Scaling Standby/Detached: left every balancer, still serving; rejoins on InService
  | 'failed' // startup gave up (health never passed, never in service); still serving; `ready` rejected
  | 'leaving' // signal received: deregistering
  | 'draining' // waiting for traffic to stop (bounded by drainSeconds)
  | 'closing' // server closed, sockets ending
  | 'closed'; // shutdown finished

export const LIFECYCLE_MESSAGE_TYPE = 'graceful-elb:state';

export interface LifecycleMessage {
  type: typeof LIFECYCLE_MESSAGE_TYPE;
  state: LifecycleState;
  /** epoch ms */
  at: number;
  pid: number;
  /** set with state 'failed', and on 'closed' after a forced exit */
  error?: { code: string; message: string };
  /**
   * The balancers this process may be registered with from now on: all of them with 'registering' (sent before the
   * calls: an aborted call may still have reached AWS), the ones it could not leave with 'draining' (usually none).
   * The latest one wins. A supervisor whose child dies while this is not empty deregisters it from them itself.
   */
  membership?: JoinedBalancers;
}

/** What a supervisor needs to deregister a dead child: where, who, and with the child's own bounds. */
export interface JoinedBalancers {
  instanceId: string;
  /** undefined: the SDK's chain (AWS_REGION) decides, as it did in the child. */
  region?: string;
  elbNames: string[];
  targetGroups: Array<{ targetGroupArn: string; port: number }>;
  apiTimeoutMs: number;
  retry: { maxAttempts: number; baseMs: number; maxDelayMs: number };
}

/** A membership as a supervisor may trust it: anything malformed reads as "none reported". */
export function parseJoinedBalancers(value: unknown): JoinedBalancers | undefined {
  const m = value as Partial<JoinedBalancers> | null | undefined;
  if (typeof m !== 'object' || m === null || typeof m.instanceId !== 'string' || !Array.isArray(m.elbNames) || !Array.isArray(m.targetGroups)) return undefined;
  if (!m.elbNames.every((n) => typeof n === 'string')) return undefined;
  if (!m.targetGroups.every((g) => typeof g?.targetGroupArn === 'string' && Number.isInteger(g.port))) return undefined;
  const r = m.retry;
  const positive = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;
  if (!positive(m.apiTimeoutMs) || !positive(r?.maxAttempts) || !positive(r.baseMs) || !positive(r.maxDelayMs)) return undefined;
  return {
    instanceId: m.instanceId,
    ...(typeof m.region === 'string' && { region: m.region }),
    elbNames: [...m.elbNames],
    targetGroups: m.targetGroups.map((g) => ({ targetGroupArn: g.targetGroupArn, port: g.port })),
    apiTimeoutMs: m.apiTimeoutMs,
    retry: { maxAttempts: r.maxAttempts, baseMs: r.baseMs, maxDelayMs: r.maxDelayMs },
  };
}

export function isLifecycleMessage(value: unknown): value is LifecycleMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === LIFECYCLE_MESSAGE_TYPE &&
    typeof (value as { state?: unknown }).state === 'string'
  );
}

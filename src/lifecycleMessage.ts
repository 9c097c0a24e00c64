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
}

export function isLifecycleMessage(value: unknown): value is LifecycleMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === LIFECYCLE_MESSAGE_TYPE &&
    typeof (value as { state?: unknown }).state === 'string'
  );
}

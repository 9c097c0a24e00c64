/**
 * One load balancer membership of this instance: a Classic ELB by name, or an ELBv2 target group
 * (issue: target groups). The lifecycle drives a list of these in parallel and never branches on the kind.
 */
export interface Balancer {
  /** For logs and errors: `elb/web` or `target-group/web-tg`. */
  readonly label: string;
  /** Which membership this is, as a supervisor can rebuild it from an IPC message (a Classic name, or group + port). */
  readonly ref: BalancerRef;
  /** RegisterInstancesWithLoadBalancer / RegisterTargets, retried on Throttling and 5xx. */
  register(signal?: AbortSignal): Promise<void>;
  /** DeregisterInstancesFromLoadBalancer / DeregisterTargets, retried on Throttling and 5xx. */
  deregister(signal?: AbortSignal): Promise<void>;
  /** What the balancer reports about this instance right now (one Describe call). */
  view(signal?: AbortSignal): Promise<BalancerView>;
  /** The balancer's idle timeout in seconds when it can be read (else undefined: callers use AWS's 60 s). */
  idleTimeoutSeconds(signal?: AbortSignal): Promise<number | undefined>;
  /**
   * The longest the balancer itself keeps routing in-flight requests after deregistration, in seconds
   * (Classic: ConnectionDraining timeout; target group: deregistration_delay), when it can be read.
   */
  drainLimitSeconds(signal?: AbortSignal): Promise<number | undefined>;
  /**
   * Past this many seconds after deregistration a drain is pointless for this balancer: it has closed every
   * connection to the instance (target group: the deregistration delay). Absent or undefined: no such bound.
   * With several balancers the drain is bounded by the longest of them, and only when every one has a bound.
   */
  maxDrainSeconds?(signal?: AbortSignal): Promise<number | undefined>;
}

export interface BalancerView {
  /** true once the balancer sends new requests here (Classic: plain InService; ELBv2: healthy). */
  inService: boolean;
  /**
   * true while the balancer may still send *new* requests here. Classic: InService without the
   * "deregistration currently in progress" description. ELBv2: a target reads `draining` for the whole
   * deregistration delay even when idle, so for target groups this turns false as soon as it reads draining.
   */
  routing: boolean;
  /** The raw state and reason as the API gave them, for logs and errors. */
  state: string;
  description?: string;
}

export type BalancerRef = { readonly elbName: string } | { readonly targetGroupArn: string; readonly port: number };

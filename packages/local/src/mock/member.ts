/**
 * One registration: an instance in a Classic ELB, or a target (id + port) in an ELBv2 target group.
 * It carries the health-check streaks, the deregistration phase and the data plane's counters; the store
 * decides transitions, the data plane only counts and picks.
 */
export type MemberHealth = 'initial' | 'healthy' | 'unhealthy';

/**
 * - registered: normal life;
 * - draining: deregistered, visible as draining (Classic connection draining, ELBv2 deregistration delay);
 * - leaving: deregistered and gone from the API, but balancer nodes that have not heard yet still route new
 *   requests until `routeUntil` (the propagation delay).
 */
export type MemberPhase = 'registered' | 'draining' | 'leaving';

/** Why the last health check failed, in ELBv2 reason-code terms (Classic maps them to its own wording). */
export type HealthFailure = 'Target.Timeout' | 'Target.ResponseCodeMismatch' | 'Target.FailedHealthChecks';

export class Member {
  readonly instanceId: string;
  /** The traffic port (ELBv2 target port; Classic: 0, each listener has its own instance port). */
  readonly port: number;
  phase: MemberPhase = 'registered';
  health: MemberHealth = 'initial';
  checksDone = 0;
  okStreak = 0;
  failStreak = 0;
  lastFailure: { reason: HealthFailure; detail: string } | undefined;
  /** ELBv2 eventual consistency: DescribeTargetHealth reports the target as not registered until this epoch ms. */
  visibleAt = 0;
  /** While deregistering: new requests may still be routed until this epoch ms. */
  routeUntil = Number.POSITIVE_INFINITY;
  routed = 0;
  inFlight = 0;
  /** Aborts for requests in flight, used when a drain times out and the balancer cuts them. */
  readonly active = new Set<() => void>();
  /** Set by the store while draining: called when the last in-flight request ends. */
  onIdle: (() => void) | undefined;
  /** Stops this member's health checks and drain timers; set and cleared by the store. */
  cancelTimers: Array<() => void> = [];

  constructor(instanceId: string, port: number) {
    this.instanceId = instanceId;
    this.port = port;
  }

  /** May the data plane send it a new request now? (ELBv2 fail-open is decided by the owner, not here.) */
  routable(now: number): boolean {
    return this.health === 'healthy' && (this.phase === 'registered' || now < this.routeUntil);
  }

  requestStarted(abort: () => void): void {
    this.routed += 1;
    this.inFlight += 1;
    this.active.add(abort);
  }

  requestEnded(abort: () => void): void {
    if (!this.active.delete(abort)) return;
    this.inFlight -= 1;
    if (this.inFlight === 0) this.onIdle?.();
  }

  /** The balancer gives up on the drain: cut what is still in flight, as AWS does at the timeout. */
  abortInFlight(): void {
    for (const abort of [...this.active]) abort();
  }

  stopTimers(): void {
    for (const cancel of this.cancelTimers.splice(0)) cancel();
  }

  resetHealth(): void {
    this.health = 'initial';
    this.checksDone = 0;
    this.okStreak = 0;
    this.failStreak = 0;
    this.lastFailure = undefined;
  }
}

/**
 * Round-robin over the routable members of one balancer or target group. `failOpen`: ELBv2 routes to all
 * (non-draining) targets when every one of them is unhealthy, as AWS documents; Classic never does.
 */
export class RoundRobin {
  private next = 0;

  pick(members: readonly Member[], now: number, failOpen: boolean): Member | undefined {
    const count = members.length;
    for (let i = 0; i < count; i += 1) {
      const member = members[(this.next + i) % count]!;
      if (member.routable(now)) {
        this.next = (this.next + i + 1) % count;
        return member;
      }
    }
    if (!failOpen) return undefined;
    const registered = members.filter((m) => m.phase === 'registered');
    if (registered.length === 0 || registered.some((m) => m.health !== 'unhealthy')) return undefined;
    const member = registered[this.next % registered.length]!;
    this.next = (this.next + 1) % Math.max(1, count);
    return member;
  }
}

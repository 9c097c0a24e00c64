import type { Logger } from 'pino';
import type { HealthCheckSpec } from './config.js';
import type { HealthFailure, Member } from './member.js';

/**
 * The state machine every registration shares (Classic instance or ELBv2 target): health streaks against the
 * thresholds, draining (in service until idle or the limit), leaving (gone from the API, still routed for the
 * propagation delay), reviving on re-registration, and removal once the deregistration is complete.
 */
export class MemberLifecycle {
  private readonly logger: Logger;
  private readonly propagationDelayMs: () => number;
  private readonly closed: () => boolean;

  constructor(options: { logger: Logger; propagationDelayMs: () => number; closed: () => boolean }) {
    this.logger = options.logger;
    this.propagationDelayMs = options.propagationDelayMs;
    this.closed = options.closed;
  }

  recordHealth(owner: string, member: Member, spec: HealthCheckSpec, ok: boolean, failure?: { reason: HealthFailure; detail: string }): void {
    if (this.closed() || member.phase !== 'registered') return;
    member.checksDone += 1;
    const before = member.health;
    if (ok) {
      member.okStreak += 1;
      member.failStreak = 0;
      if (member.health !== 'healthy' && member.okStreak >= spec.healthyThreshold) member.health = 'healthy';
    } else {
      member.failStreak += 1;
      member.okStreak = 0;
      member.lastFailure = failure;
      if (member.health !== 'unhealthy' && member.failStreak >= spec.unhealthyThreshold) member.health = 'unhealthy';
    }
    if (member.health !== before) {
      this.logger.info({ owner, instanceId: member.instanceId, port: member.port || undefined, from: before, to: member.health, failure: failure?.detail }, 'health state changed');
    } else if (!ok) {
      this.logger.debug({ owner, instanceId: member.instanceId, failure: failure?.detail }, 'health check failed');
    }
  }

  /**
   * Deregistered while serving: new requests keep arriving for the propagation delay; the member is removed when
   * the drain limit passes (cutting what is still in flight) or, with `endWhenIdle` (Classic), as soon as nothing
   * is in flight after the propagation delay.
   */
  drain(member: Member, limitMs: number, endWhenIdle: boolean, remove: () => void): void {
    const propagationDelayMs = this.propagationDelayMs();
    member.phase = 'draining';
    member.routeUntil = Date.now() + propagationDelayMs;
    const finish = (why: 'idle' | 'timeout'): void => {
      member.stopTimers();
      member.onIdle = undefined;
      if (why === 'timeout' && member.inFlight > 0) {
        this.logger.warn({ instanceId: member.instanceId, inFlight: member.inFlight }, 'drain limit reached: closing in-flight requests');
        member.abortInFlight();
      }
      remove();
    };
    member.cancelTimers.push(timer(limitMs, () => finish('timeout')));
    if (endWhenIdle) {
      const finishIfIdle = (): void => {
        if (member.inFlight === 0 && Date.now() >= member.routeUntil) finish('idle');
      };
      member.onIdle = finishIfIdle;
      member.cancelTimers.push(timer(Math.min(propagationDelayMs, limitMs), finishIfIdle));
    }
  }

  /** Deregistered without draining: gone from the API at once; nodes still route new requests for the propagation delay. */
  leave(member: Member, remove: () => void): void {
    const propagationDelayMs = this.propagationDelayMs();
    member.phase = 'leaving';
    member.routeUntil = Date.now() + propagationDelayMs;
    member.cancelTimers.push(
      timer(propagationDelayMs, () => {
        member.stopTimers();
        member.abortInFlight();
        remove();
      }),
    );
  }

  revive(member: Member): void {
    member.stopTimers();
    member.onIdle = undefined;
    member.phase = 'registered';
    member.routeUntil = Number.POSITIVE_INFINITY;
    member.resetHealth();
  }

  removeMember(set: { get(key: string): Member | undefined; delete(key: string): void }, key: string, member: Member, owner: string): void {
    if (set.get(key) !== member || member.phase === 'registered') return;
    set.delete(key);
    this.logger.info({ owner, instanceId: member.instanceId, port: member.port || undefined }, 'deregistration complete');
  }
}

/** A one-shot timer that never holds the process open; returns its cancel function. */
export function timer(ms: number, fn: () => void): () => void {
  const handle = setTimeout(fn, ms);
  handle.unref();
  return () => clearTimeout(handle);
}

import type { LifecycleEvent } from './appSpec.js';
import type { HookEventReport } from './hookRunner.js';

/** One change in whether the balancer sends new requests to an instance, as the demo observed it. */
export interface RoutingTransition {
  readonly instanceId: string;
  /** ms since the load started */
  readonly at: number;
  readonly routing: boolean;
  /** The balancer's own words, e.g. "InService", "OutOfService". */
  readonly state: string;
}

/**
 * The moments of one instance's deployment, in ms since the load started (undefined when it did not happen):
 * signal (ApplicationStop begins) → the balancer stops routing → the process has exited (ApplicationStop ends)
 * → the new process is started (ApplicationStart ends) → the balancer routes to it again.
 */
export interface InstanceMoments {
  readonly signalAt: number | undefined;
  readonly leftAt: number | undefined;
  readonly exitedAt: number | undefined;
  readonly startedAt: number | undefined;
  readonly inServiceAt: number | undefined;
}

/** Durations in ms derived from the moments; undefined where a moment is missing. */
export interface InstanceDurations {
  /** signal → the balancer stopped sending new requests */
  readonly leaveMs: number | undefined;
  /** the balancer stopped routing → the process exited (0 when it exited first) */
  readonly drainMs: number | undefined;
  /** the process exited while the balancer still routed to it, for this long (the naive failure window) */
  readonly routedWhileDownMs: number | undefined;
  /** exited → new process started */
  readonly downMs: number | undefined;
  /** started → the balancer routes to it again */
  readonly rejoinMs: number | undefined;
  /** signal → back in service: the per-instance cycle */
  readonly cycleMs: number | undefined;
}

/** A shaded span of the timeline. */
export interface PhaseSpan {
  readonly phase: 'leaving' | 'draining' | 'routed-while-down' | 'down' | 'rejoining';
  readonly from: number;
  readonly to: number;
}

/**
 * `stopEvent` is the lifecycle event whose script takes the instance out: ApplicationStop for the template and
 * the naive baseline, AfterInstall for the seed article (which deregisters, sleeps and stops there).
 */
export function instanceMoments(
  events: readonly HookEventReport[],
  transitions: readonly RoutingTransition[],
  loadStartedAt: number,
  stopEvent: LifecycleEvent = 'ApplicationStop',
): InstanceMoments {
  const at = (event: LifecycleEvent, edge: 'startedAt' | 'endedAt'): number | undefined => {
    const report = events.find((e) => e.event === event);
    return report ? report[edge] - loadStartedAt : undefined;
  };
  const signalAt = at(stopEvent, 'startedAt');
  const exitedAt = at(stopEvent, 'endedAt');
  const startedAt = at('ApplicationStart', 'endedAt');
  const leftAt = signalAt === undefined ? undefined : transitions.find((t) => !t.routing && t.at >= signalAt)?.at;
  // Back in service: routing again after the new process started (or, if the start hook is missing, after the stop).
  // If the balancer never stopped routing (a restart quicker than its unhealthy threshold), the instance is
  // back as soon as the new process is up.
  const rejoinFrom = startedAt ?? exitedAt;
  const inServiceAt =
    rejoinFrom === undefined ? undefined : leftAt === undefined ? rejoinFrom : transitions.find((t) => t.routing && t.at >= leftAt)?.at;
  return { signalAt, leftAt, exitedAt, startedAt, inServiceAt };
}

export function instanceDurations(m: InstanceMoments): InstanceDurations {
  const span = (from: number | undefined, to: number | undefined): number | undefined =>
    from === undefined || to === undefined ? undefined : Math.max(0, to - from);
  return {
    leaveMs: span(m.signalAt, m.leftAt),
    drainMs: span(m.leftAt, m.exitedAt),
    routedWhileDownMs: m.exitedAt === undefined ? undefined : routedAfterExit(m) ? span(m.exitedAt, routedUntil(m)) : 0,
    downMs: span(m.exitedAt, m.startedAt),
    rejoinMs: span(m.startedAt, m.inServiceAt),
    cycleMs: span(m.signalAt, m.inServiceAt),
  };
}

/** The spans to shade, in order, skipping empty ones. */
export function phaseSpans(m: InstanceMoments): PhaseSpan[] {
  const spans: PhaseSpan[] = [];
  const add = (phase: PhaseSpan['phase'], from: number | undefined, to: number | undefined): void => {
    if (from !== undefined && to !== undefined && to > from) spans.push({ phase, from, to });
  };
  if (m.signalAt !== undefined && m.exitedAt !== undefined) {
    const left = m.leftAt !== undefined && m.leftAt < m.exitedAt ? m.leftAt : m.exitedAt;
    add('leaving', m.signalAt, left);
    add('draining', left, m.exitedAt);
  }
  add('down', m.exitedAt, m.startedAt);
  add('rejoining', m.startedAt, m.inServiceAt);
  // Last, so it is drawn over the down span it overlaps.
  if (routedAfterExit(m)) add('routed-while-down', m.exitedAt, routedUntil(m));
  return spans;
}

/** Whether the balancer still sent new requests to the instance after its process had exited. */
function routedAfterExit(m: InstanceMoments): boolean {
  return m.exitedAt !== undefined && (m.leftAt === undefined || m.leftAt > m.exitedAt);
}

/** The balancer routed to a stopped process until it noticed, or until the new process was up, whichever came first. */
function routedUntil(m: InstanceMoments): number | undefined {
  if (m.leftAt === undefined) return m.startedAt;
  return m.startedAt === undefined ? m.leftAt : Math.min(m.leftAt, m.startedAt);
}

import { BAD_REVISION_SUFFIX } from './badRevision.js';
import type { RoutingTransition } from './instancePhases.js';
import type { TrafficSnapshot } from './trafficRecorder.js';

/** The time the failed revision's process ran on an instance, and the proof that it never got traffic. */
export interface BadRevisionWindow {
  /** ms since the load started: its ApplicationStart began … */
  readonly from: number;
  /** … and the rollback's ApplicationStop had stopped it. */
  readonly to: number;
  /** Answers the clients got from the bad process (it names itself in `x-instance-id`). */
  readonly served: number;
  /** Whether the balancer routed to the instance at any moment of the window. */
  readonly routed: boolean;
}

export function badRevisionWindow(
  instanceId: string,
  from: number,
  to: number,
  traffic: TrafficSnapshot,
  transitions: readonly RoutingTransition[],
): BadRevisionWindow {
  const mine = transitions.filter((t) => t.instanceId === instanceId);
  // The state at `from` is the last change before it (every instance was routed to when the load started).
  const before = mine.filter((t) => t.at <= from).at(-1);
  const routedAtStart = before ? before.routing : true;
  const routed = routedAtStart || mine.some((t) => t.routing && t.at > from && t.at < to);
  return { from, to, served: traffic.totals.servedBy[`${instanceId}${BAD_REVISION_SUFFIX}`] ?? 0, routed };
}

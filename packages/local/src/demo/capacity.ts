import type { RoutingTransition } from './instancePhases.js';
import { perInstance, type Attribution } from './report.js';
import type { TrafficSnapshot } from './trafficRecorder.js';

/** What taking instances out cost the ones that stayed: the capacity a deployment configuration needs. */
export interface CapacityReport {
  /** The most instances the deployment had out of service at once (its own count, hooks running). */
  readonly peakOutOfService: number;
  /** The fewest instances the balancer routed to during the deployment. */
  readonly fewestRouted: number;
  /** Median requests per second one instance served before the deployment started. */
  readonly steadyPerInstance: number;
  /** The most requests per second one instance served in a second when at least one other was out. */
  readonly peakPerInstance: number;
  /** ms since the load started: the second of that peak (undefined when no instance was ever out). */
  readonly peakAt: number | undefined;
}

/**
 * Reads the capacity line from the traffic buckets and the balancer's routing changes: which instances were
 * routed to at each bucket's midpoint, and how much the busiest of them served in that bucket.
 */
export function measureCapacity(input: {
  readonly traffic: TrafficSnapshot;
  readonly attribution: Attribution;
  readonly instanceIds: readonly string[];
  /** ms since the load started, in time order */
  readonly transitions: readonly RoutingTransition[];
  readonly deployment: { readonly startedAt: number; readonly endedAt: number };
  readonly peakOutOfService: number;
}): CapacityReport {
  const { traffic, attribution, instanceIds, deployment } = input;
  const routedAt = (ms: number): number =>
    instanceIds.filter((id) => {
      // Every instance was in service when the load started (the demo waits for it).
      let routing = true;
      for (const t of input.transitions) if (t.instanceId === id && t.at <= ms) routing = t.routing;
      return routing;
    }).length;
  const perSecond = 1000 / traffic.bucketMs;
  const steady: number[] = [];
  let fewestRouted = instanceIds.length;
  let peakPerInstance = 0;
  let peakAt: number | undefined;
  for (const bucket of traffic.buckets) {
    const counts = perInstance(bucket, attribution);
    const busiest = Math.max(0, ...instanceIds.map((id) => counts[id] ?? 0)) * perSecond;
    const end = bucket.startMs + traffic.bucketMs;
    if (end <= deployment.startedAt) {
      for (const id of instanceIds) steady.push((counts[id] ?? 0) * perSecond);
      continue;
    }
    if (bucket.startMs >= deployment.endedAt) continue;
    const routed = routedAt(bucket.startMs + traffic.bucketMs / 2);
    fewestRouted = Math.min(fewestRouted, routed);
    if (routed < instanceIds.length && busiest > peakPerInstance) {
      peakPerInstance = busiest;
      peakAt = bucket.startMs;
    }
  }
  return { peakOutOfService: input.peakOutOfService, fewestRouted, steadyPerInstance: median(steady), peakPerInstance, peakAt };
}

/** The summary's capacity line. */
export function formatCapacity(c: CapacityReport, instances: number): string {
  const ratio = c.steadyPerInstance > 0 && c.peakPerInstance > 0 ? ` (×${(c.peakPerInstance / c.steadyPerInstance).toFixed(2)})` : '';
  return (
    `Capacity: at most ${c.peakOutOfService} of ${instances} instance(s) out at once, the balancer routing to ${c.fewestRouted} at the fewest; ` +
    `peak ${Math.round(c.peakPerInstance)} req/s on one remaining instance vs ${Math.round(c.steadyPerInstance)} req/s each before${ratio}`
  );
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

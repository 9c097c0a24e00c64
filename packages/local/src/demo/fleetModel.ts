import { planBatches, type DeploymentConfig } from './deploymentPlan.js';

export interface FleetModel {
  readonly fleetSize: number;
  readonly batches: number;
  /** The most instances out of service at once. */
  readonly largestBatch: number;
  /** Estimated wall time of the whole deployment, ms. */
  readonly totalMs: number;
}

/**
 * What a fleet deployment would take if every instance took as long as the measured one: batches run one after
 * the other and a batch takes as long as one instance (its instances run in parallel). CodeDeploy's own
 * overhead between instances (agent polling, bundle download) is left out; it is the same for every approach.
 */
export function modelFleetDeployment(fleetSize: number, config: DeploymentConfig, perInstanceMs: number): FleetModel {
  if (!(perInstanceMs >= 0) || !Number.isFinite(perInstanceMs)) throw new RangeError(`perInstanceMs must be a finite non-negative number, got ${perInstanceMs}`);
  const ids = Array.from({ length: fleetSize }, (_, i) => `i-${i}`);
  const batches = planBatches(ids, config);
  return {
    fleetSize,
    batches: batches.length,
    largestBatch: Math.max(...batches.map((b) => b.length)),
    totalMs: batches.length * perInstanceMs,
  };
}

import { DeploymentSchedule, type DeploymentConfig, type DeploymentOutcome } from './deploymentPlan.js';
import type { HookEventReport } from './hookRunner.js';

export interface InstanceRun {
  /** 1-based */
  readonly batch: number;
  /** The lifecycle events that ran, including the failing one. */
  readonly events: readonly HookEventReport[];
  readonly error: Error | undefined;
}

export interface RolloutResult {
  readonly outcome: DeploymentOutcome;
  readonly batches: readonly (readonly string[])[];
  readonly runs: ReadonlyMap<string, InstanceRun>;
  /** epoch ms */
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface RolloutOptions {
  readonly instanceIds: readonly string[];
  readonly config: DeploymentConfig;
  /** Deploys the new revision to one instance; pushes each lifecycle event into `reports`; throws when it failed. */
  readonly deployInstance: (instanceId: string, reports: HookEventReport[]) => Promise<void>;
  readonly onBatch?: (batch: readonly string[], index: number) => void;
  readonly now?: () => number;
}

/**
 * The simulated CodeDeploy deployment: batches from the deployment configuration, the instances of a batch in
 * parallel, the next batch once the whole batch has finished, and the minimum-healthy-hosts rule deciding
 * after each batch whether to go on. A failed instance stays as it is (CodeDeploy does not roll back on its own).
 */
export async function runRollout(options: RolloutOptions): Promise<RolloutResult> {
  const now = options.now ?? Date.now;
  const schedule = new DeploymentSchedule(options.instanceIds, options.config);
  const runs = new Map<string, InstanceRun>();
  const batches: string[][] = [];
  const startedAt = now();
  for (let batch = schedule.next(); batch; batch = schedule.next()) {
    batches.push(batch);
    const index = batches.length;
    options.onBatch?.(batch, index);
    const results = await Promise.all(
      batch.map(async (instanceId) => {
        const events: HookEventReport[] = [];
        try {
          await options.deployInstance(instanceId, events);
          return { instanceId, run: { batch: index, events, error: undefined } };
        } catch (err) {
          return { instanceId, run: { batch: index, events, error: err instanceof Error ? err : new Error(String(err)) } };
        }
      }),
    );
    for (const { instanceId, run } of results) {
      runs.set(instanceId, run);
      schedule.record(instanceId, run.error === undefined);
    }
  }
  return { outcome: schedule.outcome(), batches, runs, startedAt, endedAt: now() };
}

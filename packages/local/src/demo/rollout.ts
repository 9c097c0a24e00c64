import { DeploymentSchedule, type DeploymentConfig, type DeploymentOutcome } from './deploymentPlan.js';
import type { HookEventReport } from './hookRunner.js';

export interface InstanceRun {
  /** 1-based wave: the instances started at the same moment share one. */
  readonly batch: number;
  /** The lifecycle events that ran, including the failing one. */
  readonly events: readonly HookEventReport[];
  readonly error: Error | undefined;
  /** epoch ms */
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface RolloutResult {
  readonly outcome: DeploymentOutcome;
  /** The waves in start order: instances started together (a rolling window starts one as another ends). */
  readonly batches: readonly (readonly string[])[];
  readonly runs: ReadonlyMap<string, InstanceRun>;
  /** epoch ms */
  readonly startedAt: number;
  readonly endedAt: number;
  /** The most instances out of service for the deployment at the same time. */
  readonly peakOutOfService: number;
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
 * The simulated CodeDeploy deployment as a rolling window: whenever the minimum-healthy-hosts rule allows, the
 * next instances start (one finishing frees its place at once), until every instance is done or the rule
 * stops the deployment. A failed instance stays as it is (rolling back is a new deployment: see rollback.ts).
 */
export async function runRollout(options: RolloutOptions): Promise<RolloutResult> {
  const now = options.now ?? Date.now;
  const schedule = new DeploymentSchedule(options.instanceIds, options.config);
  const runs = new Map<string, InstanceRun>();
  const batches: string[][] = [];
  const running = new Map<string, Promise<string>>();
  const startedAt = now();
  let peakOutOfService = 0;

  const deploy = async (instanceId: string, batch: number): Promise<string> => {
    const events: HookEventReport[] = [];
    const from = now();
    let error: Error | undefined;
    try {
      await options.deployInstance(instanceId, events);
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    runs.set(instanceId, { batch, events, error, startedAt: from, endedAt: now() });
    return instanceId;
  };

  for (let wave = schedule.next(); wave; wave = schedule.next()) {
    if (wave.length > 0) {
      batches.push(wave);
      options.onBatch?.(wave, batches.length);
      for (const id of wave) running.set(id, deploy(id, batches.length));
      peakOutOfService = Math.max(peakOutOfService, schedule.inProgress);
    }
    // Wait for any one instance to finish: its place in the window is free for the next.
    const finished = await Promise.race(running.values());
    running.delete(finished);
    schedule.record(finished, runs.get(finished)?.error === undefined);
  }
  return { outcome: schedule.outcome(), batches, runs, startedAt, endedAt: now(), peakOutOfService };
}

import { InvalidOptionError } from './errors.js';

/**
 * CodeDeploy's in-place deployment configurations (EC2/on-premises) and the order in which they take
 * instances out of service.
 *
 * CodeDeploy reasons in "minimum healthy hosts": at no time may fewer instances be healthy than that minimum,
 * where an instance being deployed to, or whose deployment failed, is not healthy.
 * - OneAtATime: one instance at a time; the deployment fails at the first failed instance, except that a
 *   failure on the last instance still leaves the deployment successful (minimum healthy = N - 1).
 * - HalfAtATime: FLEET_PERCENT 50. The percentage is turned into a count rounded UP, so up to half the fleet
 *   rounded DOWN is deployed at a time (9 instances → 4), and at least half rounded up must succeed (→ 5).
 *   One instance alone is still deployed (the batch is never empty).
 * - AllAtOnce: HOST_COUNT 0, every instance at once; succeeds when at least one instance succeeded.
 * - min-healthy=K (HOST_COUNT) or min-healthy=P% (FLEET_PERCENT, rounded up): up to N - minimum at a time;
 *   succeeds when at least that minimum (and at least one instance) succeeded.
 *
 * Like CodeDeploy, the schedule is a rolling window, not a series of fixed batches: the next instance starts as
 * soon as the rule allows it (one finishing frees a place at once), so one slow instance does not hold back
 * the others. With instances that all take the same time the two are the same.
 */
export type DeploymentConfig =
  | { readonly kind: 'OneAtATime' }
  | { readonly kind: 'HalfAtATime' }
  | { readonly kind: 'AllAtOnce' }
  | { readonly kind: 'HostCount'; readonly value: number }
  | { readonly kind: 'FleetPercent'; readonly value: number };

const STRATEGY_SYNTAX = 'OneAtATime, HalfAtATime, AllAtOnce, min-healthy=<count> or min-healthy=<percent>%';

/** Parses `--strategy`: the three predefined names (case-insensitive, `CodeDeployDefault.` prefix allowed) or min-healthy. */
export function parseDeploymentConfig(value: unknown, flag = '--strategy'): DeploymentConfig {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidOptionError(flag, value, STRATEGY_SYNTAX);
  const text = value.trim().replace(/^CodeDeployDefault\./i, '');
  switch (text.toLowerCase()) {
    case 'oneatatime':
      return { kind: 'OneAtATime' };
    case 'halfatatime':
      return { kind: 'HalfAtATime' };
    case 'allatonce':
      return { kind: 'AllAtOnce' };
  }
  const match = /^min-healthy=(\d+)(%?)$/i.exec(text);
  if (!match) throw new InvalidOptionError(flag, value, STRATEGY_SYNTAX);
  const amount = Number(match[1]);
  if (match[2] === '%') {
    // CreateDeploymentConfig accepts FLEET_PERCENT below 100 only: 100 % healthy leaves nothing to deploy to.
    if (amount > 99) throw new InvalidOptionError(flag, value, 'min-healthy=<percent>% with a percent from 0 to 99');
    return { kind: 'FleetPercent', value: amount };
  }
  return { kind: 'HostCount', value: amount };
}

/** The name CodeDeploy would show, e.g. `CodeDeployDefault.OneAtATime` or `min-healthy=66%`. */
export function describeDeploymentConfig(config: DeploymentConfig): string {
  switch (config.kind) {
    case 'OneAtATime':
    case 'HalfAtATime':
    case 'AllAtOnce':
      return `CodeDeployDefault.${config.kind}`;
    case 'HostCount':
      return `min-healthy=${config.value}`;
    case 'FleetPercent':
      return `min-healthy=${config.value}%`;
  }
}

/** A configuration turned into numbers for one fleet size. */
export interface DeploymentRules {
  /** Instances that must stay healthy at every moment. */
  readonly minimumHealthy: number;
  /** The most instances taken out of service at once. */
  readonly batchSize: number;
  /** Instances that must succeed for the deployment to succeed. */
  readonly minimumSucceeded: number;
}

export function deploymentRules(config: DeploymentConfig, instanceCount: number, flag = '--strategy'): DeploymentRules {
  if (!Number.isInteger(instanceCount) || instanceCount < 1) {
    throw new InvalidOptionError('--instances', instanceCount, 'a whole number of at least 1');
  }
  const n = instanceCount;
  switch (config.kind) {
    case 'OneAtATime':
      return { minimumHealthy: n - 1, batchSize: 1, minimumSucceeded: Math.max(n - 1, 1) };
    case 'HalfAtATime': {
      const batchSize = Math.max(Math.floor(n / 2), 1);
      return { minimumHealthy: n - batchSize, batchSize, minimumSucceeded: Math.ceil(n / 2) };
    }
    case 'AllAtOnce':
      return { minimumHealthy: 0, batchSize: n, minimumSucceeded: 1 };
    case 'HostCount':
    case 'FleetPercent': {
      const minimumHealthy = config.kind === 'HostCount' ? config.value : Math.ceil((config.value * n) / 100);
      if (minimumHealthy >= n) {
        // CodeDeploy refuses to start such a deployment (HEALTH_CONSTRAINTS_INVALID): nothing may go offline.
        throw new InvalidOptionError(
          flag,
          describeDeploymentConfig(config),
          `a minimum of healthy hosts below the ${n} instance(s) deployed to (it keeps ${minimumHealthy} healthy, so none could be deployed)`,
        );
      }
      return { minimumHealthy, batchSize: n - minimumHealthy, minimumSucceeded: Math.max(minimumHealthy, 1) };
    }
  }
}

export type DeploymentStatus = 'Succeeded' | 'Failed';

export interface DeploymentOutcome {
  readonly status: DeploymentStatus;
  readonly succeeded: readonly string[];
  readonly failed: readonly string[];
  /** Never attempted because the deployment stopped first (CodeDeploy shows them as Skipped). */
  readonly skipped: readonly string[];
  /** Why it failed, in CodeDeploy's terms; undefined on success. */
  readonly reason: string | undefined;
}

/**
 * Hands out instances as the minimum-healthy-hosts rule allows, at any moment: an instance being deployed to or
 * whose deployment failed is not healthy, so a failure shrinks the window, and the deployment stops (the rest
 * skipped) once nothing is in progress and not even one more instance may go offline.
 */
export class DeploymentSchedule {
  readonly rules: DeploymentRules;
  readonly #pending: string[];
  readonly #inProgress = new Set<string>();
  readonly #succeeded: string[] = [];
  readonly #failed: string[] = [];
  readonly #total: number;
  #stoppedReason: string | undefined;

  constructor(instanceIds: readonly string[], config: DeploymentConfig) {
    if (new Set(instanceIds).size !== instanceIds.length) {
      throw new InvalidOptionError('instanceIds', instanceIds, 'distinct instance ids');
    }
    this.rules = deploymentRules(config, instanceIds.length);
    this.#pending = [...instanceIds];
    this.#total = instanceIds.length;
  }

  /**
   * The instances that may start now (empty while the window is full), or undefined when the deployment is
   * over: every instance done, or stopped by the rule with nothing left in progress.
   */
  next(): string[] | undefined {
    if (this.#stoppedReason !== undefined) return this.#inProgress.size > 0 ? [] : undefined;
    if (this.#pending.length === 0) return this.#inProgress.size > 0 ? [] : undefined;
    const healthy = this.#total - this.#failed.length - this.#inProgress.size;
    const room = Math.min(healthy - this.rules.minimumHealthy, this.rules.batchSize - this.#inProgress.size);
    if (room < 1) {
      if (this.#inProgress.size > 0) return [];
      this.#stoppedReason =
        `${this.#failed.length} instance(s) failed; deploying to another would leave fewer than ` +
        `${this.rules.minimumHealthy} healthy instance(s)`;
      return undefined;
    }
    const started = this.#pending.splice(0, room);
    for (const id of started) this.#inProgress.add(id);
    return started;
  }

  /** Records how one instance in progress ended; its place in the window is free at once. */
  record(instanceId: string, ok: boolean): void {
    if (!this.#inProgress.delete(instanceId)) throw new Error(`${instanceId} is not being deployed to`);
    (ok ? this.#succeeded : this.#failed).push(instanceId);
  }

  /** Instances out of service for the deployment right now (for the capacity line). */
  get inProgress(): number {
    return this.#inProgress.size;
  }

  outcome(): DeploymentOutcome {
    if (this.#inProgress.size > 0) throw new Error('DeploymentSchedule.outcome() called while instances are in progress');
    const enough = this.#succeeded.length >= this.rules.minimumSucceeded;
    const status: DeploymentStatus = enough && this.#stoppedReason === undefined && this.#pending.length === 0 ? 'Succeeded' : 'Failed';
    const reason =
      status === 'Succeeded'
        ? undefined
        : (this.#stoppedReason ??
          `${this.#succeeded.length} instance(s) succeeded; at least ${this.rules.minimumSucceeded} must for this configuration`);
    return { status, succeeded: [...this.#succeeded], failed: [...this.#failed], skipped: [...this.#pending], reason };
  }
}

/** The waves a deployment goes through when every instance succeeds and all take the same time. */
export function planBatches(instanceIds: readonly string[], config: DeploymentConfig): string[][] {
  const schedule = new DeploymentSchedule(instanceIds, config);
  const batches: string[][] = [];
  for (let batch = schedule.next(); batch; batch = schedule.next()) {
    batches.push(batch);
    for (const id of batch) schedule.record(id, true);
  }
  return batches;
}

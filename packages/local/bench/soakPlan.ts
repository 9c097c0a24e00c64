import { describeDeploymentConfig, parseDeploymentConfig } from '../src/demo/deploymentPlan.js';
import type { DemoRunPlan } from '../src/demo/engine.js';
import type { ScenarioName } from '../src/demo/scenario.js';

/** The deployment configurations the soak alternates: each keeps at least one instance in service. */
const CONFIGS = ['OneAtATime', 'HalfAtATime', 'min-healthy=1', 'min-healthy=66%'] as const;
/** Every fifth deployment is a broken revision, rolled back; both must lose nothing. */
const FAILED_REVISION_EVERY = 5;

/**
 * The soak's deployments in order: the configurations in turn, and a failed-revision deployment every fifth
 * (deployment 5, 10, …), so a rollback sits between ordinary deployments and the next one starts from it.
 */
export function soakPlan(deployments: number): DemoRunPlan[] {
  if (!Number.isInteger(deployments) || deployments < 1) throw new RangeError(`deployments must be a whole number of at least 1, got ${deployments}`);
  return Array.from({ length: deployments }, (_, i) => {
    const strategy = parseDeploymentConfig(CONFIGS[i % CONFIGS.length]);
    const scenario: ScenarioName = (i + 1) % FAILED_REVISION_EVERY === 0 ? 'failed-revision' : 'deploy';
    return { scenario, strategy, strategyLabel: describeDeploymentConfig(strategy) };
  });
}

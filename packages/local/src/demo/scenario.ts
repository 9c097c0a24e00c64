import { InvalidOptionError } from './errors.js';
import type { DemoMode } from './report.js';

/**
 * The ways out the demo can prove, each under the same load (`--scenario`):
 * - deploy: a rolling deployment of a new revision (the default);
 * - failed-revision: the new revision's health route never passes on the first instance it reaches; the
 *   deployment stops and CodeDeploy-style automatic rollback redeploys the last good revision there;
 * - scale-in: Auto Scaling scales one instance in, with a termination lifecycle hook;
 * - spot: one instance gets a Spot interruption notice;
 * - crash: an uncaught exception in one instance's app (a slow-booting one) under load; the supervisor restarts it.
 */
export const SCENARIOS = ['deploy', 'failed-revision', 'scale-in', 'spot', 'crash'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Scenarios that have a baseline to contrast with (`--naive`, `--seed`); CodeDeploy's built-in mode is a deployment's. */
const WITH_BASELINES: ReadonlySet<ScenarioName> = new Set(['deploy', 'crash']);
const WITH_BUILTIN: ReadonlySet<ScenarioName> = new Set(['deploy']);

export function parseScenario(value: unknown, mode: DemoMode): ScenarioName {
  const name = value ?? 'deploy';
  if (typeof name !== 'string' || !(SCENARIOS as readonly string[]).includes(name)) {
    throw new InvalidOptionError('--scenario', value, `one of ${SCENARIOS.join(', ')}`);
  }
  const scenario = name as ScenarioName;
  const allowed = mode === 'builtin' ? WITH_BUILTIN : WITH_BASELINES;
  if (mode !== 'graceful' && !allowed.has(scenario)) {
    throw new InvalidOptionError(mode === 'builtin' ? '--codedeploy-builtin' : `--${mode}`, scenario, `used with --scenario ${[...allowed].join(' or ')} only`);
  }
  return scenario;
}

import { InvalidOptionError } from './errors.js';
import { DEMO_DEFAULTS } from './defaults.js';
import { describeDeploymentConfig, deploymentRules, parseDeploymentConfig, type DeploymentConfig } from './deploymentPlan.js';
import { DEMO_BALANCER_KINDS, type DemoBalancerKind } from './balancerConfig.js';
import type { DemoMode } from './report.js';
import { parseScenario, type ScenarioName } from './scenario.js';

/** The demo's flags as commander hands them over (strings) or as a program passes them (numbers). */
export interface DemoFlags {
  readonly instances?: unknown;
  readonly rate?: unknown;
  readonly duration?: unknown;
  readonly strategy?: unknown;
  readonly drainSeconds?: unknown;
  readonly naive?: unknown;
  readonly seed?: unknown;
  readonly codedeployBuiltin?: unknown;
  readonly balancer?: unknown;
  readonly outputDir?: unknown;
  /** `--min-healthy 75%` or `--min-healthy 2`: a custom configuration, the same as `--strategy min-healthy=…`. */
  readonly minHealthy?: unknown;
  readonly scenario?: unknown;
}

export interface DemoOptions {
  readonly mode: DemoMode;
  /** classic: a Classic ELB; alb / nlb: an ALB or NLB in front of a target group. */
  readonly balancer: DemoBalancerKind;
  readonly instances: number;
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  readonly strategy: DeploymentConfig;
  readonly strategyLabel: string;
  readonly drainSeconds: number;
  readonly outputDir: string;
  readonly scenario: ScenarioName;
}

/** Upper bounds that keep a run within what one laptop (and a 2-core CI machine) can carry. */
const LIMITS = { instances: 20, ratePerSecond: 5000, durationSeconds: 3600 } as const;

/** Checks every flag; a bad one throws InvalidOptionError naming the flag and the value. */
export function resolveDemoOptions(flags: DemoFlags): DemoOptions {
  const baselines = (['naive', 'seed', 'codedeployBuiltin'] as const).filter((flag) => flags[flag] === true);
  if (baselines.length > 1) {
    const [first, second] = baselines.map((flag) => `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    throw new InvalidOptionError(first!, second, `used alone: ${[first, second].join(' and ')} are two different baselines`);
  }
  const mode: DemoMode = flags.naive === true ? 'naive' : flags.seed === true ? 'seed' : flags.codedeployBuiltin === true ? 'builtin' : 'graceful';
  const balancer = flags.balancer ?? DEMO_DEFAULTS.balancer;
  if (typeof balancer !== 'string' || !(DEMO_BALANCER_KINDS as readonly string[]).includes(balancer)) {
    throw new InvalidOptionError('--balancer', balancer, DEMO_BALANCER_KINDS.join(', '));
  }
  const instances = numberFlag('--instances', flags.instances, DEMO_DEFAULTS.instances, { integer: true, min: 1, max: LIMITS.instances });
  const ratePerSecond = numberFlag('--rate', flags.rate, DEMO_DEFAULTS.ratePerSecond, { integer: true, min: 1, max: LIMITS.ratePerSecond });
  const durationSeconds = numberFlag('--duration', flags.duration, DEMO_DEFAULTS.durationSeconds, { min: 1, max: LIMITS.durationSeconds });
  // It is also the local ELB's ConnectionDraining timeout, which AWS bounds to 1..3600 s.
  const drainSeconds = numberFlag('--drain-seconds', flags.drainSeconds, DEMO_DEFAULTS.drainSeconds, { integer: true, min: 1, max: 3600 });
  if (flags.minHealthy !== undefined && flags.strategy !== undefined) {
    throw new InvalidOptionError('--min-healthy', flags.minHealthy, 'used without --strategy (both choose the deployment configuration)');
  }
  const strategy = flags.minHealthy !== undefined ? parseMinHealthy(flags.minHealthy) : parseDeploymentConfig(flags.strategy ?? DEMO_DEFAULTS.strategy);
  // Refuses a minimum that leaves nothing to deploy, naming the flag it came from.
  deploymentRules(strategy, instances, flags.minHealthy !== undefined ? '--min-healthy' : '--strategy');
  const scenario = parseScenario(flags.scenario, mode);
  const outputDir = flags.outputDir ?? DEMO_DEFAULTS.outputDir;
  if (typeof outputDir !== 'string' || outputDir === '') throw new InvalidOptionError('--output-dir', outputDir, 'a directory path');
  return { mode, balancer: balancer as DemoBalancerKind, instances, ratePerSecond, durationSeconds, strategy, strategyLabel: describeDeploymentConfig(strategy), drainSeconds, outputDir, scenario };
}

/** `--min-healthy`: a host count (`2`) or a fleet percent (`75%`), as CodeDeploy's custom configurations. */
function parseMinHealthy(raw: unknown): DeploymentConfig {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (!/^\d+%?$/.test(text)) throw new InvalidOptionError('--min-healthy', raw, 'a count of healthy instances (e.g. 2) or a percent of the fleet (e.g. 75%)');
  return parseDeploymentConfig(`min-healthy=${text}`, '--min-healthy');
}

function numberFlag(flag: string, raw: unknown, fallback: number, rule: { integer?: boolean; min: number; max: number }): number {
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : raw;
  const expected = `${rule.integer ? 'a whole number' : 'a number'} from ${rule.min} to ${rule.max}`;
  if (typeof value !== 'number' || !Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || value < rule.min || value > rule.max) {
    throw new InvalidOptionError(flag, raw, expected);
  }
  return value;
}

import { InvalidOptionError } from '../errors.js';
import { envText } from '../envText.js';
import type { AutoScalingClientLike } from './autoScalingApi.js';

type Env = Readonly<Record<string, string | undefined>>;

/** `autoScaling` option: how the instance follows its Auto Scaling group. */
export interface AutoScalingOptions {
  /** The group; skips DescribeAutoScalingInstances. Env: `GRACEFUL_ELB_AUTO_SCALING_GROUP`. @default discovered */
  readonly groupName?: string;
  /** The termination lifecycle hook to complete; skips finding them. Env: `GRACEFUL_ELB_LIFECYCLE_HOOK`. @default every termination hook of the group */
  readonly terminationHookName?: string;
  /**
   * How a deployment (a signal) takes the instance out: `'deregister'` leaves the balancers only; `'standby'` first
   * puts the instance in Standby (EnterStandby) and the next start takes it out (ExitStandby), as the AWS CodeDeploy
   * samples do, for groups with ELB health checks and the balancer attached (docs/leaving.md). Env:
   * `GRACEFUL_ELB_DEPLOYMENT_LEAVE`.
   * @default 'deregister'
   */
  readonly deploymentLeave?: 'deregister' | 'standby';
}

/** `spot` option. */
export interface SpotOptions {
  /** Also leave on an EC2 rebalance recommendation (an elevated risk, not a notice). Env: `GRACEFUL_ELB_SPOT_REBALANCE`. @default false */
  readonly rebalance?: boolean;
}

/** The options of this subsystem as `GracefulElbOptions` carries them. */
export interface InstanceNoticeOptionsInput {
  /** Follow the Auto Scaling lifecycle (IMDS `autoscaling/target-lifecycle-state`); `false` turns it off. Env: `GRACEFUL_ELB_AUTO_SCALING=0`. @default {} (on) */
  readonly autoScaling?: boolean | AutoScalingOptions;
  /** Leave on a Spot interruption notice (IMDS `spot/instance-action`); `false` turns it off. Env: `GRACEFUL_ELB_SPOT=0`. @default {} (on) */
  readonly spot?: boolean | SpotOptions;
  /** How often IMDS is asked for those notices (AWS recommends 5 s for Spot), 100..60000. Env: `GRACEFUL_ELB_NOTICE_INTERVAL_MS`. @default 5000 */
  readonly noticeIntervalMs?: number;
  /** Your own Auto Scaling client (anything with the SDK's `send`). @default a client from the SDK's standard chain, created on first use */
  readonly autoScalingClient?: AutoScalingClientLike;
}

/** Every default of the Auto Scaling and Spot watchers, written once. */
export const NOTICE_DEFAULTS = {
  noticeIntervalMs: 5000,
  deploymentLeave: 'deregister',
  rebalance: false,
} as const;

export const NOTICE_ENV = {
  autoScaling: 'GRACEFUL_ELB_AUTO_SCALING',
  groupName: 'GRACEFUL_ELB_AUTO_SCALING_GROUP',
  terminationHookName: 'GRACEFUL_ELB_LIFECYCLE_HOOK',
  deploymentLeave: 'GRACEFUL_ELB_DEPLOYMENT_LEAVE',
  spot: 'GRACEFUL_ELB_SPOT',
  rebalance: 'GRACEFUL_ELB_SPOT_REBALANCE',
  noticeIntervalMs: 'GRACEFUL_ELB_NOTICE_INTERVAL_MS',
} as const;

/** The option names this subsystem adds to `gracefulElb()`. */
export const NOTICE_OPTION_NAMES = ['autoScaling', 'spot', 'noticeIntervalMs', 'autoScalingClient'] as const;

export interface ResolvedNoticeOptions {
  readonly autoScaling: { readonly groupName: string | undefined; readonly terminationHookName: string | undefined; readonly deploymentLeave: 'deregister' | 'standby' } | undefined;
  readonly spot: { readonly rebalance: boolean } | undefined;
  readonly intervalMs: number;
  readonly client: AutoScalingClientLike | undefined;
}

const INTERVAL_RANGE = { min: 100, max: 60_000 };

/** Checks the options and their env overrides (env wins, as for every option); never mutates `input`. */
export function resolveNoticeOptions(input: InstanceNoticeOptionsInput, env: Env): ResolvedNoticeOptions {
  const autoScalingOn = envFlag(env, NOTICE_ENV.autoScaling) ?? input.autoScaling !== false;
  const autoScaling = typeof input.autoScaling === 'boolean' ? {} : (input.autoScaling ?? {});
  if (typeof autoScaling !== 'object' || autoScaling === null) throw new InvalidOptionError('autoScaling', autoScaling, 'a boolean or an object');
  for (const key of Object.keys(autoScaling)) {
    if (!['groupName', 'terminationHookName', 'deploymentLeave'].includes(key)) throw new InvalidOptionError(`autoScaling.${key}`, (autoScaling as Record<string, unknown>)[key], 'a known option (typo?)');
  }
  const name = (option: 'groupName' | 'terminationHookName'): string | undefined => {
    const fromEnv = envText(env[NOTICE_ENV[option]]);
    const value = fromEnv ?? autoScaling[option];
    if (value !== undefined && (typeof value !== 'string' || value.length < 1 || value.length > 255)) {
      throw new InvalidOptionError(fromEnv !== undefined ? NOTICE_ENV[option] : `autoScaling.${option}`, value, 'a name of 1 to 255 characters');
    }
    return value;
  };
  const leaveFromEnv = envText(env[NOTICE_ENV.deploymentLeave]);
  const deploymentLeave = leaveFromEnv ?? autoScaling.deploymentLeave ?? NOTICE_DEFAULTS.deploymentLeave;
  if (deploymentLeave !== 'deregister' && deploymentLeave !== 'standby') {
    throw new InvalidOptionError(leaveFromEnv !== undefined ? NOTICE_ENV.deploymentLeave : 'autoScaling.deploymentLeave', deploymentLeave, "'deregister' or 'standby'");
  }

  const spotOn = envFlag(env, NOTICE_ENV.spot) ?? input.spot !== false;
  const spot = typeof input.spot === 'boolean' ? {} : (input.spot ?? {});
  if (typeof spot !== 'object' || spot === null) throw new InvalidOptionError('spot', spot, 'a boolean or an object');
  for (const key of Object.keys(spot)) {
    if (key !== 'rebalance') throw new InvalidOptionError(`spot.${key}`, (spot as Record<string, unknown>)[key], 'a known option (typo?)');
  }
  const rebalance = envFlag(env, NOTICE_ENV.rebalance) ?? spot.rebalance ?? NOTICE_DEFAULTS.rebalance;
  if (typeof rebalance !== 'boolean') throw new InvalidOptionError('spot.rebalance', rebalance, 'a boolean');

  const intervalFromEnv = envText(env[NOTICE_ENV.noticeIntervalMs]);
  const intervalMs = intervalFromEnv !== undefined ? Number(intervalFromEnv) : (input.noticeIntervalMs ?? NOTICE_DEFAULTS.noticeIntervalMs);
  if (typeof intervalMs !== 'number' || !Number.isInteger(intervalMs) || intervalMs < INTERVAL_RANGE.min || intervalMs > INTERVAL_RANGE.max) {
    throw new InvalidOptionError(intervalFromEnv !== undefined ? NOTICE_ENV.noticeIntervalMs : 'noticeIntervalMs', intervalFromEnv ?? intervalMs, `an integer number of milliseconds from ${INTERVAL_RANGE.min} to ${INTERVAL_RANGE.max}`);
  }

  const client = input.autoScalingClient;
  if (client !== undefined && (typeof client !== 'object' || client === null || typeof client.send !== 'function')) {
    throw new InvalidOptionError('autoScalingClient', client, 'an object with a `send(command)` method (an AutoScalingClient)');
  }

  return {
    autoScaling: autoScalingOn ? { groupName: name('groupName'), terminationHookName: name('terminationHookName'), deploymentLeave } : undefined,
    spot: spotOn ? { rebalance } : undefined,
    intervalMs,
    client,
  };
}

/** 1/true/0/false (any case); undefined when unset or blank. */
function envFlag(env: Env, variable: string): boolean | undefined {
  const text = envText(env[variable])?.toLowerCase();
  if (text === undefined) return undefined;
  if (text === '1' || text === 'true') return true;
  if (text === '0' || text === 'false') return false;
  throw new InvalidOptionError(variable, env[variable], '1, true, 0 or false');
}

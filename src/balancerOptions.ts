import { parseTargetGroupArn } from './balancers/targetGroupArn.js';
import { InvalidOptionError } from './errors.js';
import type { Env, GracefulElbOptions } from './options.js';
import { envText } from './envText.js';

/** One target group to join; `port` undefined means the server's listening port. */
export interface TargetGroupSelection {
  readonly targetGroupArn: string;
  readonly port: number | undefined;
}

/** Which balancers to join: named ones, or (`discover`) whatever holds this instance. */
export interface BalancerSelection {
  readonly elbNames: readonly string[];
  readonly targetGroups: readonly TargetGroupSelection[];
  readonly discover: boolean;
}

/** The env vars that choose the balancers. If any is set (non-empty), they replace the four options as a whole. */
export const BALANCER_ENV = {
  elbName: 'GRACEFUL_ELB_NAME',
  targetGroupArns: 'GRACEFUL_ELB_TARGET_GROUP_ARNS',
  discover: 'GRACEFUL_ELB_DISCOVER',
} as const;

// Classic ELB names: 1-32 alphanumerics or hyphens, not starting or ending with a hyphen (AWS CreateLoadBalancer).
const ELB_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;
const ARN_EXAMPLE = '"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"';
const DISCOVER_VALUES: Readonly<Record<string, boolean>> = { '1': true, true: true, '0': false, false: false };

type SelectionInput = Pick<GracefulElbOptions, 'elbName' | 'targetGroupArn' | 'targetGroups' | 'discover'>;

/**
 * Reads the balancer options, or the env vars that replace them. They act as one setting: ops who set
 * GRACEFUL_ELB_TARGET_GROUP_ARNS to move a service to an ALB mean "these groups", not "these groups plus the
 * Classic ELB named in the code". Errors name the option (or env var) at fault and its value.
 */
export function resolveBalancerSelection(input: SelectionInput, env: Env): BalancerSelection {
  const fromEnv = Object.values(BALANCER_ENV).some((name) => envText(env[name]) !== undefined);
  const selection = fromEnv ? selectionFromEnv(env) : selectionFromOptions(input);
  const names = fromEnv
    ? { elbName: BALANCER_ENV.elbName, targetGroups: BALANCER_ENV.targetGroupArns, discover: BALANCER_ENV.discover }
    : { elbName: 'elbName', targetGroups: input.targetGroups !== undefined ? 'targetGroups' : 'targetGroupArn', discover: 'discover' };

  if (selection.discover && selection.elbNames.length > 0) {
    throw new InvalidOptionError(names.discover, true, `false when \`${names.elbName}\` is set (discovery finds the balancers itself: give one or the other)`);
  }
  if (selection.discover && selection.targetGroups.length > 0) {
    throw new InvalidOptionError(names.discover, true, `false when \`${names.targetGroups}\` is set (discovery finds the balancers itself: give one or the other)`);
  }
  if (!selection.discover && selection.elbNames.length === 0 && selection.targetGroups.length === 0) {
    throw new InvalidOptionError(
      fromEnv ? BALANCER_ENV.elbName : 'elbName',
      fromEnv ? env[BALANCER_ENV.elbName] : input.elbName,
      `a Classic ELB name, or give \`targetGroupArn\`, \`targetGroups\` or \`discover: true\` (env: ${Object.values(BALANCER_ENV).join(', ')})`,
    );
  }
  const keys = selection.targetGroups.map((g) => `${g.targetGroupArn} ${g.port ?? 'server port'}`);
  if (new Set(keys).size !== keys.length) throw new InvalidOptionError(names.targetGroups, keys, 'a list without duplicates (the same group and port twice)');
  return selection;
}

function selectionFromEnv(env: Env): BalancerSelection {
  const names = list(env[BALANCER_ENV.elbName]);
  const arns = list(env[BALANCER_ENV.targetGroupArns]);
  const discoverText = envText(env[BALANCER_ENV.discover])?.toLowerCase();
  const discover = discoverText === undefined ? false : DISCOVER_VALUES[discoverText];
  if (discover === undefined) throw new InvalidOptionError(BALANCER_ENV.discover, env[BALANCER_ENV.discover], '1, true, 0 or false');
  return {
    elbNames: checkElbNames(names, BALANCER_ENV.elbName),
    targetGroups: arns.map((arn) => ({ targetGroupArn: checkArn(arn, BALANCER_ENV.targetGroupArns), port: undefined })),
    discover,
  };
}

function selectionFromOptions(input: SelectionInput): BalancerSelection {
  let elbNames: readonly string[] = [];
  if (input.elbName !== undefined) {
    const raw: unknown = input.elbName;
    const names = typeof raw === 'string' ? [raw] : raw;
    if (!Array.isArray(names) || names.length === 0) throw new InvalidOptionError('elbName', raw, 'a Classic ELB name or a non-empty array of names');
    elbNames = checkElbNames(names, 'elbName');
  }

  const targetGroups: TargetGroupSelection[] = [];
  if (input.targetGroupArn !== undefined) targetGroups.push({ targetGroupArn: checkArn(input.targetGroupArn, 'targetGroupArn'), port: undefined });
  const groups: unknown = input.targetGroups;
  if (groups !== undefined) {
    if (!Array.isArray(groups)) throw new InvalidOptionError('targetGroups', groups, 'an array of { targetGroupArn, port? }');
    groups.forEach((group: unknown, i) => {
      const at = `targetGroups[${i}]`;
      if (typeof group !== 'object' || group === null) throw new InvalidOptionError(at, group, 'an object { targetGroupArn, port? }');
      for (const key of Object.keys(group)) {
        if (key !== 'targetGroupArn' && key !== 'port') throw new InvalidOptionError(`${at}.${key}`, (group as Record<string, unknown>)[key], 'absent (known: targetGroupArn, port)');
      }
      const { targetGroupArn, port } = group as { targetGroupArn?: unknown; port?: unknown };
      if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)) {
        throw new InvalidOptionError(`${at}.port`, port, 'an integer port from 1 to 65535 (or absent: the server\'s listening port)');
      }
      targetGroups.push({ targetGroupArn: checkArn(targetGroupArn, `${at}.targetGroupArn`), port });
    });
  }

  const discover = input.discover ?? false;
  if (typeof discover !== 'boolean') throw new InvalidOptionError('discover', discover, 'a boolean');
  return { elbNames, targetGroups, discover };
}

function checkElbNames(names: readonly unknown[], option: string): string[] {
  for (const name of names) {
    if (typeof name !== 'string' || !ELB_NAME.test(name)) {
      throw new InvalidOptionError(option, name, 'a Classic ELB name: 1-32 letters, digits or hyphens, not starting or ending with a hyphen');
    }
  }
  if (new Set(names).size !== names.length) throw new InvalidOptionError(option, names, 'a list without duplicates');
  return [...(names as string[])];
}

function checkArn(arn: unknown, option: string): string {
  if (parseTargetGroupArn(arn) === undefined) {
    // A load balancer or listener ARN is the usual mistake: say which kind of ARN is wanted.
    throw new InvalidOptionError(option, arn, `a target group ARN (…:targetgroup/NAME/ID) such as ${ARN_EXAMPLE}`);
  }
  return arn as string;
}

function list(text: string | undefined): string[] {
  const value = envText(text);
  return value === undefined ? [] : value.split(',').map((item) => item.trim());
}

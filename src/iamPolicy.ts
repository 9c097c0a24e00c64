import { InvalidOptionError } from './errors.js';

/**
 * The Elastic Load Balancing API actions the library calls, by kind of membership. `membership` actions
 * accept the balancer's (or target group's) ARN as resource; `describe` actions accept no resource-level
 * permissions at all (the Service Authorization Reference lists no resource type for them), so they can
 * only be granted on "*". Keep this table in step with the Balancer adapters in src/balancers/.
 */
export const LIBRARY_ACTIONS = {
  classic: {
    membership: ['RegisterInstancesWithLoadBalancer', 'DeregisterInstancesFromLoadBalancer'],
    describe: ['DescribeInstanceHealth', 'DescribeLoadBalancerAttributes'],
  },
  targetGroup: {
    membership: ['RegisterTargets', 'DeregisterTargets'],
    // DescribeTargetGroups finds the group's load balancer, whose idle timeout DescribeLoadBalancerAttributes
    // reads; DescribeTargetGroupAttributes reads the deregistration delay.
    describe: ['DescribeTargetHealth', 'DescribeTargetGroupAttributes', 'DescribeTargetGroups', 'DescribeLoadBalancerAttributes'],
  },
  /**
   * Auto Scaling (scale-in and Standby deployments, src/autoScaling/): the lifecycle and Standby calls take the group's
   * ARN; the two Describe calls, which find the group and its hooks, take no resource.
   */
  autoScaling: {
    group: ['CompleteLifecycleAction', 'RecordLifecycleActionHeartbeat', 'EnterStandby', 'ExitStandby'],
    describe: ['DescribeAutoScalingInstances', 'DescribeLifecycleHooks'],
  },
  /** `discover: true` lists every balancer and target group to find the ones holding the instance. */
  discovery: {
    classic: ['DescribeLoadBalancers', 'DescribeInstanceHealth'],
    targetGroup: ['DescribeTargetGroups', 'DescribeTargetHealth'],
  },
} as const;

export interface IamPolicyOptions {
  /** Classic ELB names. */
  elbNames?: readonly string[];
  /** ELBv2 target group ARNs (used verbatim). */
  targetGroupArns?: readonly string[];
  /** For the Classic ELB ARN; default "*" (any region). */
  region?: string;
  /** For the Classic ELB ARN; default "*" (any account). */
  account?: string;
  /**
   * The library's `discover: true`: the balancers are not known in advance, so membership changes are granted on
   * every Classic ELB and target group of the region and account. Excludes `elbNames` and `targetGroupArns`.
   */
  discover?: boolean;
  /** Auto Scaling group names (or "*"): the lifecycle-action and Standby calls, scoped to these groups. */
  autoScalingGroups?: readonly string[];
}

export interface IamPolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
}

export interface IamPolicyDocument {
  Version: '2012-10-17';
  Statement: IamPolicyStatement[];
}

/** A check of one input, with the words an error uses for what was expected. */
export interface InputRule {
  test(value: string): boolean;
  expected: string;
}

export const ELB_NAME_RULE: InputRule = {
  test: (value) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(value),
  expected: 'a Classic ELB name: 1 to 32 letters, digits or hyphens, not starting or ending with a hyphen',
};

export const REGION_RULE: InputRule = {
  test: (value) => value === '*' || /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/.test(value),
  expected: 'an AWS region such as us-east-1 (or *)',
};

export const ACCOUNT_RULE: InputRule = {
  test: (value) => value === '*' || /^\d{12}$/.test(value),
  expected: 'a 12-digit AWS account id (or *)',
};

export const AUTO_SCALING_GROUP_RULE: InputRule = {
  test: (value) => /^[^\s:][^:\n\r\t]{0,254}$/.test(value),
  expected: 'an Auto Scaling group name: 1 to 255 characters, no colon (or * for every group)',
};

export const TARGET_GROUP_ARN_RULE: InputRule = {
  test: (value) =>
    /^arn:aws(?:-cn|-us-gov)?:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/.test(value),
  expected: 'a target group ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID)',
};

/**
 * A least-privilege identity policy for the instance role: membership changes scoped to the named
 * balancers and target groups, the read-only Describe calls on "*". `notes` explain what could not be
 * scoped, for people (JSON has no comments).
 */
export function buildIamPolicy(options: IamPolicyOptions): { policy: IamPolicyDocument; notes: string[] } {
  const elbNames = options.elbNames ?? [];
  const targetGroupArns = options.targetGroupArns ?? [];
  const region = options.region ?? '*';
  const account = options.account ?? '*';
  for (const name of elbNames) check('elbNames', name, ELB_NAME_RULE);
  for (const arn of targetGroupArns) check('targetGroupArns', arn, TARGET_GROUP_ARN_RULE);
  const groups = options.autoScalingGroups ?? [];
  for (const group of groups) check('autoScalingGroups', group, AUTO_SCALING_GROUP_RULE);
  check('region', region, REGION_RULE);
  check('account', account, ACCOUNT_RULE);
  if (options.discover === true) {
    if (elbNames.length > 0 || targetGroupArns.length > 0) {
      throw new InvalidOptionError('discover', true, 'alone: discovery finds the balancers, so none may be named with it');
    }
    return withAutoScaling(buildDiscoveryPolicy(region, account), groups, region, account);
  }
  if (elbNames.length === 0 && targetGroupArns.length === 0) {
    throw new InvalidOptionError('elbNames', elbNames, 'at least one Classic ELB name or target group ARN');
  }

  const statements: IamPolicyStatement[] = [];
  const describe = new Set<string>();
  if (elbNames.length > 0) {
    statements.push({
      Sid: 'GracefulElbClassicMembership',
      Effect: 'Allow',
      Action: LIBRARY_ACTIONS.classic.membership.map(action),
      Resource: elbNames.map((name) => `arn:${partitionOf(region)}:elasticloadbalancing:${region}:${account}:loadbalancer/${name}`),
    });
    LIBRARY_ACTIONS.classic.describe.forEach((name) => describe.add(name));
  }
  if (targetGroupArns.length > 0) {
    statements.push({
      Sid: 'GracefulElbTargetGroupMembership',
      Effect: 'Allow',
      Action: LIBRARY_ACTIONS.targetGroup.membership.map(action),
      Resource: [...targetGroupArns],
    });
    LIBRARY_ACTIONS.targetGroup.describe.forEach((name) => describe.add(name));
  }
  statements.push({ Sid: 'GracefulElbDescribe', Effect: 'Allow', Action: [...describe].map(action), Resource: '*' });

  const notes = [
    `${[...describe].join(', ')} support no resource-level permissions in IAM, so they are granted on "*"; they are read-only.`,
  ];
  if (elbNames.length > 0 && (region === '*' || account === '*')) {
    notes.push('The balancer ARN has "*" for its region or account: pass --region and --account to pin it.');
  }
  return withAutoScaling({ policy: { Version: '2012-10-17', Statement: statements }, notes }, groups, region, account);
}

/**
 * Adds the Auto Scaling statements for `groups`: lifecycle actions and Standby on the groups' ARNs (the ARN form
 * `autoScalingGroup:*:autoScalingGroupName/NAME`: the group id is not known in advance), the Describe calls on "*".
 */
function withAutoScaling(built: { policy: IamPolicyDocument; notes: string[] }, groups: readonly string[], region: string, account: string): { policy: IamPolicyDocument; notes: string[] } {
  if (groups.length === 0) return built;
  const arn = (group: string): string => `arn:${partitionOf(region)}:autoscaling:${region}:${account}:autoScalingGroup:*:autoScalingGroupName/${group}`;
  const statements: IamPolicyStatement[] = [
    ...built.policy.Statement,
    { Sid: 'GracefulElbAutoScalingLifecycle', Effect: 'Allow', Action: LIBRARY_ACTIONS.autoScaling.group.map((a) => `autoscaling:${a}`), Resource: groups.map(arn) },
    { Sid: 'GracefulElbAutoScalingDescribe', Effect: 'Allow', Action: LIBRARY_ACTIONS.autoScaling.describe.map((a) => `autoscaling:${a}`), Resource: '*' },
  ];
  const notes = [
    ...built.notes,
    `autoscaling:${LIBRARY_ACTIONS.autoScaling.describe.join(', autoscaling:')} support no resource-level permissions in IAM, so they are granted on "*"; they are read-only.`,
  ];
  if (groups.includes('*')) notes.push('--auto-scaling-group "*" grants the lifecycle and Standby calls on every group of the region and account.');
  return { policy: { Version: '2012-10-17', Statement: statements }, notes };
}

/**
 * Discovery cannot know the balancers when the policy is written: membership is granted on every Classic ELB and
 * target group of the region and account (pinned when given), and the notes say how to narrow it.
 */
function buildDiscoveryPolicy(region: string, account: string): { policy: IamPolicyDocument; notes: string[] } {
  const arn = (resource: string): string => `arn:${partitionOf(region)}:elasticloadbalancing:${region}:${account}:${resource}`;
  const describe = new Set<string>([
    ...LIBRARY_ACTIONS.classic.describe,
    ...LIBRARY_ACTIONS.targetGroup.describe,
    ...LIBRARY_ACTIONS.discovery.classic,
    ...LIBRARY_ACTIONS.discovery.targetGroup,
  ]);
  const statements: IamPolicyStatement[] = [
    {
      Sid: 'GracefulElbDiscoveredMembership',
      Effect: 'Allow',
      Action: [...LIBRARY_ACTIONS.classic.membership, ...LIBRARY_ACTIONS.targetGroup.membership].map(action),
      Resource: [arn('loadbalancer/*'), arn('targetgroup/*/*')],
    },
    { Sid: 'GracefulElbDescribe', Effect: 'Allow', Action: [...describe].map(action), Resource: '*' },
  ];
  const notes = [
    `${[...describe].join(', ')} support no resource-level permissions in IAM, so they are granted on "*"; they are read-only.`,
    'With discovery the balancers are not known in advance: register/deregister is granted on every Classic ELB and ' +
      'target group in the region and account. Narrow it with --elb/--target-group-arn (without discovery), or add a ' +
      'Condition on aws:ResourceTag to the first statement.',
  ];
  if (region === '*' || account === '*') notes.push('The ARNs have "*" for region or account: pass --region and --account to pin them.');
  return { policy: { Version: '2012-10-17', Statement: statements }, notes };
}

function action(name: string): string {
  return `elasticloadbalancing:${name}`;
}

/** ARNs in China and GovCloud regions have their own partition. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function check(option: string, value: string, rule: InputRule): void {
  if (!rule.test(value)) throw new InvalidOptionError(option, value, rule.expected);
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildIamPolicy, LIBRARY_ACTIONS } from '../src/iamPolicy.js';
import { InvalidOptionError } from '../src/errors.js';
import { repoRoot, runCli } from './helpers/supervisorHarness.js';

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string | string[];
}

const TG_A = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067';
const TG_B = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api-tg/0123456789abcdef';

async function policyFor(args: string[]) {
  const result = await runCli(['iam-policy', ...args]);
  assert.equal(result.code, 0, result.stderr);
  const policy = JSON.parse(result.stdout) as { Version: string; Statement: Statement[] };
  return { policy, stderr: result.stderr };
}

function allActions(statements: Statement[]): string[] {
  return statements.flatMap((s) => s.Action).sort();
}

test('iam-policy --elb: register/deregister scoped to the balancer ARN, the Describe calls on * with a note', async () => {
  const { policy, stderr } = await policyFor(['--elb', 'web', '--region', 'us-east-1', '--account', '123456789012']);
  assert.equal(policy.Version, '2012-10-17');
  assert.deepEqual(allActions(policy.Statement), [
    'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
    'elasticloadbalancing:DescribeInstanceHealth',
    'elasticloadbalancing:DescribeLoadBalancerAttributes',
    'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
  ]);
  for (const statement of policy.Statement) {
    assert.equal(statement.Effect, 'Allow');
    const scoped = statement.Action.some((a) => /:(Register|Deregister)/.test(a));
    if (scoped) {
      assert.deepEqual(statement.Resource, ['arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/web']);
    } else {
      assert.ok(statement.Action.every((a) => a.startsWith('elasticloadbalancing:Describe')));
      assert.equal(statement.Resource, '*');
    }
  }
  assert.match(stderr, /^note: DescribeInstanceHealth, DescribeLoadBalancerAttributes support no resource-level permissions in IAM, so they are granted on "\*"/m);
  assert.doesNotMatch(stderr, /--region and --account/);
});

test('iam-policy with target groups: RegisterTargets/DeregisterTargets scoped to the group ARNs', async () => {
  const { policy } = await policyFor(['--elb', 'web', '--elb', 'legacy', '--target-group-arn', TG_A, '--target-group-arn', TG_B]);
  const bySid = new Map(policy.Statement.map((s) => [s.Sid, s]));
  assert.deepEqual(bySid.get('GracefulElbTargetGroupMembership'), {
    Sid: 'GracefulElbTargetGroupMembership',
    Effect: 'Allow',
    Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
    Resource: [TG_A, TG_B],
  });
  assert.deepEqual(bySid.get('GracefulElbClassicMembership')?.Resource, [
    'arn:aws:elasticloadbalancing:*:*:loadbalancer/web',
    'arn:aws:elasticloadbalancing:*:*:loadbalancer/legacy',
  ]);
  const expected = new Set(
    [...LIBRARY_ACTIONS.classic.membership, ...LIBRARY_ACTIONS.classic.describe, ...LIBRARY_ACTIONS.targetGroup.membership, ...LIBRARY_ACTIONS.targetGroup.describe].map(
      (a) => `elasticloadbalancing:${a}`,
    ),
  );
  // Exactly the library's actions, each granted once.
  assert.deepEqual(allActions(policy.Statement), [...expected].sort());
  assert.equal(bySid.get('GracefulElbDescribe')?.Resource, '*');
});

test('iam-policy with only target groups grants no Classic ELB action', async () => {
  const { policy } = await policyFor(['--target-group-arn', TG_A]);
  assert.ok(allActions(policy.Statement).every((a) => !/InstancesWithLoadBalancer|InstancesFromLoadBalancer|InstanceHealth/.test(a)));
});

test('the ARN partition follows the region; wildcards are called out', async () => {
  const china = buildIamPolicy({ elbNames: ['web'], region: 'cn-north-1', account: '123456789012' });
  assert.deepEqual(china.policy.Statement[0]?.Resource, ['arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/web']);
  const gov = buildIamPolicy({ elbNames: ['web'], region: 'us-gov-west-1', account: '123456789012' });
  assert.match(String(gov.policy.Statement[0]?.Resource), /^arn:aws-us-gov:/);
  const open = buildIamPolicy({ elbNames: ['web'] });
  assert.ok(open.notes.some((n) => /pass --region and --account/.test(n)));
});

test('iam-policy --discover: membership on every balancer of the pinned region and account, discovery reads on *', async () => {
  const { policy, stderr } = await policyFor(['--discover', '--region', 'eu-west-1', '--account', '123456789012']);
  const [membership, describe] = policy.Statement;
  assert.deepEqual(membership?.Resource, [
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/*',
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/*/*',
  ]);
  assert.deepEqual([...(membership?.Action ?? [])].sort(), [
    'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
    'elasticloadbalancing:DeregisterTargets',
    'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
    'elasticloadbalancing:RegisterTargets',
  ]);
  assert.equal(describe?.Resource, '*');
  for (const read of ['DescribeLoadBalancers', 'DescribeInstanceHealth', 'DescribeTargetGroups', 'DescribeTargetHealth']) {
    assert.ok(describe?.Action.includes(`elasticloadbalancing:${read}`), read);
  }
  assert.ok(allActions(policy.Statement).every((a) => !/^elasticloadbalancing:(Create|Delete|Modify|Set)/.test(a)));
  assert.match(stderr, /aws:ResourceTag/);
});

test('iam-policy --discover with a named balancer is a usage error naming both flags', async () => {
  const result = await runCli(['iam-policy', '--discover', '--elb', 'web']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--discover.*--elb|--elb.*--discover/);
  assert.equal(result.stdout, '');
});

test('buildIamPolicy rejects bad input with coded errors naming the option', () => {
  assert.throws(() => buildIamPolicy({ discover: true, elbNames: ['web'] }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'discover');
  assert.throws(() => buildIamPolicy({ elbNames: ['-web'] }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'elbNames');
  assert.throws(() => buildIamPolicy({ targetGroupArns: ['web-tg'] }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'targetGroupArns');
  assert.throws(() => buildIamPolicy({ elbNames: ['web'], account: '12' }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'account');
  assert.throws(() => buildIamPolicy({}), (err: unknown) => err instanceof InvalidOptionError && err.code === 'ERR_GRACEFUL_ELB_INVALID_OPTION');
});

/** The SDK commands the library's source imports, per client (the local ELB in packages/local serves them, it does not call them). */
function commandsImported(): { classic: Set<string>; v2: Set<string> } {
  const found = { classic: new Set<string>(), v2: new Set<string>() };
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'mock') walk(path);
      } else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(path, 'utf8');
        for (const match of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-elastic-load-balancing(-v2)?'/g)) {
          const names = (match[1] ?? '').split(',').map((n) => n.trim()).filter((n) => /^\w+Command$/.test(n));
          for (const name of names) (match[2] ? found.v2 : found.classic).add(name.replace(/Command$/, ''));
        }
      }
    }
  };
  walk(join(repoRoot, 'src'));
  return found;
}

test("the policy's actions are exactly the API calls in the library's source", () => {
  const { classic, v2 } = commandsImported();
  assert.ok(classic.size > 0, 'found no Classic ELB command in src/');
  const union = (...lists: ReadonlyArray<readonly string[]>): string[] => [...new Set(lists.flat())].sort();
  assert.deepEqual(
    [...classic].sort(),
    union(LIBRARY_ACTIONS.classic.membership, LIBRARY_ACTIONS.classic.describe, LIBRARY_ACTIONS.discovery.classic),
  );
  assert.deepEqual(
    [...v2].sort(),
    union(LIBRARY_ACTIONS.targetGroup.membership, LIBRARY_ACTIONS.targetGroup.describe, LIBRARY_ACTIONS.discovery.targetGroup),
  );
});

test('iam-policy --auto-scaling-group: lifecycle actions and Standby on the group ARN, its Describe calls on *', async () => {
  const { policy, stderr } = await policyFor(['--elb', 'web', '--auto-scaling-group', 'web-asg', '--region', 'eu-west-1', '--account', '123456789012']);
  const bySid = new Map(policy.Statement.map((s) => [s.Sid, s]));
  assert.deepEqual(bySid.get('GracefulElbAutoScalingLifecycle'), {
    Sid: 'GracefulElbAutoScalingLifecycle',
    Effect: 'Allow',
    Action: ['autoscaling:CompleteLifecycleAction', 'autoscaling:RecordLifecycleActionHeartbeat', 'autoscaling:EnterStandby', 'autoscaling:ExitStandby'],
    Resource: ['arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/web-asg'],
  });
  assert.deepEqual(bySid.get('GracefulElbAutoScalingDescribe')?.Action, ['autoscaling:DescribeAutoScalingInstances', 'autoscaling:DescribeLifecycleHooks']);
  assert.equal(bySid.get('GracefulElbAutoScalingDescribe')?.Resource, '*');
  assert.match(stderr, /autoscaling:DescribeAutoScalingInstances, autoscaling:DescribeLifecycleHooks support no resource-level permissions/);
  // Without the flag, no Auto Scaling action at all.
  const plain = await policyFor(['--elb', 'web']);
  assert.ok(allActions(plain.policy.Statement).every((a) => !a.startsWith('autoscaling:')));
  const discover = buildIamPolicy({ discover: true, autoScalingGroups: ['*'] });
  assert.ok(discover.policy.Statement.some((s) => s.Sid === 'GracefulElbAutoScalingLifecycle'));
  assert.ok(discover.notes.some((n) => /every group/.test(n)));
  assert.throws(() => buildIamPolicy({ elbNames: ['web'], autoScalingGroups: ['a:b'] }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'autoScalingGroups');
});

test("the Auto Scaling actions in the policy are exactly the commands the library's src/autoScaling sends", () => {
  const source = readdirSync(join(repoRoot, 'src', 'autoScaling'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(repoRoot, 'src', 'autoScaling', f), 'utf8'))
    .join('\n');
  const sent = new Set([...source.matchAll(/new sdk\.(\w+)Command\(/g)].map((m) => m[1]!));
  assert.deepEqual([...sent].sort(), [...LIBRARY_ACTIONS.autoScaling.group, ...LIBRARY_ACTIONS.autoScaling.describe].sort());
});

import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeregisterInstancesFromLoadBalancerCommand,
  DescribeInstanceHealthCommand,
  DescribeLoadBalancersCommand,
  RegisterInstancesWithLoadBalancerCommand,
  type ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import type { FaultsSnapshot } from '../src/mock/faults.js';
import { clientsFor } from './mock-helpers.js';

// Fault rules scoped by balancer and target group (with or without actions): one balancer refuses while the
// others answer, as when a single ELB is throttled or misconfigured in a real account.

let lb: LocalElb;
let classic: ElasticLoadBalancingClient;
let v2: ElasticLoadBalancingV2Client;
let webTg = '';
let otherTg = '';
let albArn = '';

const ID = 'i-0f5c0be000000001';

before(async () => {
  lb = await startLocalElb({
    listenerPorts: 'ephemeral',
    logger: false,
    config: {
      classic: [
        { name: 'web', listeners: [{ loadBalancerPort: 8080, instancePort: 3000 }] },
        { name: 'api', listeners: [{ loadBalancerPort: 8082, instancePort: 3000 }] },
      ],
      loadBalancers: [{ name: 'web-alb', listeners: [{ port: 8081, targetGroup: 'web-tg' }] }],
      targetGroups: [{ name: 'web-tg' }, { name: 'other-tg' }],
    },
  });
  ({ classic, v2 } = clientsFor(lb));
  const status = lb.status();
  webTg = status.targetGroups.find((g) => g.name === 'web-tg')!.arn;
  otherTg = status.targetGroups.find((g) => g.name === 'other-tg')!.arn;
  albArn = status.loadBalancers.find((b) => b.name === 'web-alb')!.arn;
  for (const name of ['web', 'api']) await classic.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: name, Instances: [{ InstanceId: ID }] }));
});
afterEach(() => lb.faults.clear());
after(async () => {
  classic.destroy();
  v2.destroy();
  await lb.close();
});

const outcome = (promise: Promise<unknown>): Promise<string> => promise.then(
  () => 'ok',
  (err: Error) => err.name,
);

test('loadBalancers + actions: only that action on that balancer fails; the same action elsewhere and other actions there pass', async () => {
  lb.faults.throttle({ count: 1000, actions: ['DeregisterInstancesFromLoadBalancer'], loadBalancers: ['api'] });
  const deregister = (name: string) => outcome(classic.send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: name, Instances: [{ InstanceId: ID }] })));
  assert.equal(await deregister('api'), 'Throttling');
  assert.equal(await outcome(classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'api' }))), 'ok');
  assert.equal(await deregister('web'), 'ok');
  assert.equal(await deregister('api'), 'Throttling', 'still refused: the count is far from spent');
  const logged = lb.calls().filter((c) => c.action === 'DeregisterInstancesFromLoadBalancer').map((c) => [c.loadBalancer, c.fault]);
  assert.deepEqual(logged, [
    ['api', 'throttle'],
    ['web', null],
    ['api', 'throttle'],
  ]);
  assert.deepEqual(lb.status().faults.throttle?.loadBalancers, ['api'], 'the status shows the scope');
});

test('loadBalancers alone: every call naming the balancer fails, calls naming another or none pass; ELBv2 by LoadBalancerArn', async () => {
  lb.faults.serverError({ loadBalancers: ['web', 'web-alb'] });
  assert.equal(await outcome(classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web' }))), 'InternalFailure');
  assert.equal(await outcome(classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'api' }))), 'ok');
  assert.equal(await outcome(classic.send(new DescribeLoadBalancersCommand({}))), 'ok', 'a call naming no balancer is out of scope');
  assert.equal(await outcome(v2.send(new DescribeListenersCommand({ LoadBalancerArn: albArn }))), 'InternalFailure');
});

test('targetGroups by name or ARN: calls on that group fail, calls on another group pass; CreateTargetGroup is scoped by its Name', async () => {
  const register = (arn: string) => outcome(v2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: ID }] })));
  lb.faults.throttle({ targetGroups: ['web-tg'] });
  assert.equal(await register(webTg), 'Throttling');
  assert.equal(await register(otherTg), 'ok');
  lb.faults.throttle({ targetGroups: [otherTg], actions: ['DescribeTargetHealth'] });
  assert.equal(await outcome(v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: otherTg }))), 'Throttling');
  assert.equal(await outcome(v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: webTg }))), 'ok');
  assert.equal(await register(otherTg), 'ok', 'another action on the group passes');
  lb.faults.throttle({ targetGroups: ['new-tg'] });
  assert.equal(await outcome(v2.send(new CreateTargetGroupCommand({ Name: 'new-tg', Protocol: 'HTTP', Port: 3000, VpcId: 'vpc-0a1b2c3d' }))), 'Throttling');
  assert.equal(await outcome(v2.send(new CreateTargetGroupCommand({ Name: 'newer-tg', Protocol: 'HTTP', Port: 3000, VpcId: 'vpc-0a1b2c3d' }))), 'ok');
});

test('loadBalancers and targetGroups together: a call naming either is in scope', async () => {
  lb.faults.throttle({ loadBalancers: ['api'], targetGroups: ['web-tg'] });
  assert.equal(await outcome(classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'api' }))), 'Throttling');
  assert.equal(await outcome(v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: webTg }))), 'Throttling');
  assert.equal(await outcome(classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web' }))), 'ok');
  assert.equal(await outcome(v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: otherTg }))), 'ok');
});

test('POST /_local/faults takes the scoped rules; a bad scope is a 400 naming the field and changes nothing', async () => {
  const post = (body: unknown): Promise<Response> =>
    fetch(`${lb.endpoint}/_local/faults`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const ok = await post({ throttle: { count: 2, loadBalancers: ['api'], targetGroups: ['web-tg'] } });
  assert.equal(ok.status, 200);
  const snapshot = (await ok.json()) as FaultsSnapshot;
  assert.deepEqual(snapshot.throttle, { fraction: 1, remaining: 2, actions: null, loadBalancers: ['api'], targetGroups: ['web-tg'] });

  for (const [body, field] of [
    [{ throttle: { loadBalancers: 'api' } }, /`throttle\.loadBalancers`.*"api"/],
    [{ serverError: { targetGroups: [42] } }, /`serverError\.targetGroups`/],
    [{ throttle: { loadBalancers: [''] } }, /`throttle\.loadBalancers`/],
    [{ throttle: { balancers: ['api'] } }, /`throttle\.balancers`.*known: fraction, count, actions, loadBalancers, targetGroups/],
  ] as const) {
    const bad = await post(body);
    assert.equal(bad.status, 400, JSON.stringify(body));
    const error = (await bad.json()) as { error: string; code: string };
    assert.equal(error.code, 'ERR_GRACEFUL_ELB_MOCK_CONFIG');
    assert.match(error.error, field);
  }
  assert.deepEqual(lb.status().faults.throttle, snapshot.throttle, 'unchanged by the bad posts');
  assert.throws(() => lb.faults.throttle({ targetGroups: 'web-tg' as unknown as string[] }), { code: 'ERR_GRACEFUL_ELB_MOCK_CONFIG' });
});

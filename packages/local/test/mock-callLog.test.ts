import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeregisterInstancesFromLoadBalancerCommand,
  DescribeInstanceHealthCommand,
  RegisterInstancesWithLoadBalancerCommand,
  type ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import { DescribeListenersCommand, RegisterTargetsCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import type { LocalElbCall } from '../src/mock/callLog.js';
import { clientsFor, rawCall, startBackend, type Backend } from './mock-helpers.js';
import { waitFor } from '../../../test/helpers/waitFor.js';

// The API call log (`lb.calls()`, GET /_local/calls): what the balancer saw, when, about which balancer,
// target group and instances, and how it answered.

let lb: LocalElb;
let classic: ElasticLoadBalancingClient;
let v2: ElasticLoadBalancingV2Client;
let backend: Backend;

const ID = 'i-0ca11000000000001';

before(async () => {
  backend = await startBackend('logged');
  lb = await startLocalElb({ listenerPorts: 'ephemeral', logger: false, instances: { [ID]: backend.address }, imds: { instanceId: ID } });
  ({ classic, v2 } = clientsFor(lb));
});

after(async () => {
  classic.destroy();
  v2.destroy();
  await lb.close();
  await backend.close();
});

const since = (seq: number): LocalElbCall[] => lb.calls().filter((c) => c.seq > seq);
const lastSeq = (): number => lb.calls().at(-1)?.seq ?? 0;

test('Classic calls: action, version, balancer, instance ids, status, request id, read and answer times, in order', async () => {
  const start = lastSeq();
  const before = Date.now();
  const registered = await classic.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: ID }] }));
  await waitFor('InService', async () => {
    const health = await classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: ID }] }));
    return health.InstanceStates?.[0]?.State === 'InService';
  });
  await classic.send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: ID }] }));
  const after = Date.now();

  const calls = since(start);
  const actions = calls.map((c) => c.action);
  assert.equal(actions[0], 'RegisterInstancesWithLoadBalancer');
  assert.equal(actions.at(-1), 'DeregisterInstancesFromLoadBalancer');
  assert.ok(actions.slice(1, -1).length >= 1 && actions.slice(1, -1).every((a) => a === 'DescribeInstanceHealth'));
  assert.deepEqual(
    calls.map((c) => c.seq),
    calls.map((_, i) => start + 1 + i),
    'seq counts every call',
  );
  const register = calls[0]!;
  assert.deepEqual(
    { ...register, at: 0, answeredAt: 0, seq: 0 },
    {
      seq: 0,
      requestId: registered.$metadata.requestId,
      // The key id the SDK signed with (the fake static key of lb.env): never the secret.
      accessKeyId: lb.env.AWS_ACCESS_KEY_ID,
      at: 0,
      answeredAt: 0,
      action: 'RegisterInstancesWithLoadBalancer',
      version: '2012-06-01',
      loadBalancer: 'web',
      targetGroup: null,
      targetGroupArn: null,
      autoScalingGroup: null,
      instanceIds: [ID],
      status: 200,
      error: null,
      fault: null,
    },
  );
  for (const call of calls) {
    assert.ok(call.at >= before && call.answeredAt !== null && call.answeredAt >= call.at && call.answeredAt <= after, JSON.stringify(call));
  }
  for (let i = 1; i < calls.length; i += 1) assert.ok(calls[i]!.at >= calls[i - 1]!.answeredAt!, 'sequential calls are logged in order');
});

test('ELBv2 calls name the target group (name and ARN) and the load balancer of an ARN', async () => {
  const { targetGroups, loadBalancers } = lb.status();
  const tgArn = targetGroups.find((g) => g.name === 'web-tg')!.arn;
  const albArn = loadBalancers.find((b) => b.name === 'web-alb')!.arn;
  const start = lastSeq();
  await v2.send(new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: ID, Port: backend.port }, { Id: 'i-0ca11000000000002' }] }));
  await v2.send(new DescribeListenersCommand({ LoadBalancerArn: albArn }));
  const [register, listeners] = since(start);
  assert.deepEqual(
    [register?.action, register?.version, register?.targetGroup, register?.targetGroupArn, register?.loadBalancer, register?.instanceIds],
    ['RegisterTargets', '2015-12-01', 'web-tg', tgArn, null, [ID, 'i-0ca11000000000002']],
  );
  assert.deepEqual([listeners?.action, listeners?.loadBalancer, listeners?.targetGroup], ['DescribeListeners', 'web-alb', null]);
});

test('failures are logged with their status, AWS error code and fault; a reset has no answer time', async () => {
  const start = lastSeq();
  await assert.rejects(classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'nope' })), { name: 'AccessPointNotFoundException' });
  await rawCall(lb.endpoint, 'Action=Explode&Version=2012-06-01');
  await rawCall(lb.endpoint, 'Version=2012-06-01');
  lb.faults.throttle({ count: 1 });
  await assert.rejects(classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web' })), { name: 'Throttling' });
  lb.faults.unreachable(true);
  await assert.rejects(classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web' })));
  lb.faults.clear();
  const huge = await rawCall(lb.endpoint, `Action=DescribeLoadBalancers&Version=2012-06-01&Pad=${'x'.repeat(2 * 1024 * 1024)}`);
  assert.equal(huge.status, 413);

  const logged = since(start).map((c) => [c.action, c.loadBalancer, c.status, c.error, c.fault, c.answeredAt === null]);
  assert.deepEqual(logged, [
    ['DescribeInstanceHealth', 'nope', 400, 'LoadBalancerNotFound', null, false],
    ['Explode', null, 400, 'InvalidAction', null, false],
    [null, null, 400, 'MissingAction', null, false],
    ['DescribeInstanceHealth', 'web', 400, 'Throttling', 'throttle', false],
    ['DescribeInstanceHealth', 'web', 0, null, 'unreachable', true],
    [null, null, 413, 'RequestEntityTooLarge', null, false],
  ]);
});

test('GET /_local/calls serves the same log as JSON; health checks, IMDS and /_local requests are not API calls', async () => {
  const start = lastSeq();
  await fetch(`${lb.endpoint}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } }).then((r) => r.text());
  await fetch(`${lb.endpoint}/_local/status`).then((r) => r.text());
  await classic.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: ID }] }));
  // InService takes HealthyThreshold (2) passing health checks: they ran, and none of them is logged.
  await waitFor('InService', () => lb.status().classic[0]!.instances.find((i) => i.instanceId === ID)?.state === 'InService');
  const res = await fetch(`${lb.endpoint}/_local/calls`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const body = (await res.json()) as { total: number; calls: LocalElbCall[] };
  assert.deepEqual(body.calls, lb.calls());
  assert.equal(body.total, lastSeq());
  assert.deepEqual(
    body.calls.filter((c) => c.seq > start).map((c) => c.action),
    ['RegisterInstancesWithLoadBalancer'],
  );
  assert.equal((await fetch(`${lb.endpoint}/_local/calls`, { method: 'POST' })).status, 405);
});

test('calls() returns copies, and the log keeps only the latest callLogLimit calls', async (t) => {
  const copy = lb.calls();
  copy[0]!.instanceIds.push('i-0000000000000bad');
  copy.length = 0;
  assert.ok(lb.calls().length > 0);
  assert.ok(!lb.calls()[0]!.instanceIds.includes('i-0000000000000bad'));

  const small = await startLocalElb({ listenerPorts: 'ephemeral', logger: false, callLogLimit: 2 });
  t.after(() => small.close());
  const client = clientsFor(small).classic;
  t.after(() => client.destroy());
  for (const name of ['a', 'b', 'c', 'd']) await assert.rejects(client.send(new DescribeInstanceHealthCommand({ LoadBalancerName: name })));
  assert.deepEqual(
    small.calls().map((c) => [c.seq, c.loadBalancer]),
    [
      [3, 'c'],
      [4, 'd'],
    ],
  );
  await assert.rejects(startLocalElb({ logger: false, callLogLimit: -1 }), { code: 'ERR_GRACEFUL_ELB_MOCK_CONFIG' });
});

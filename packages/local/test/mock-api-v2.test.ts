import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import { clientsFor, rawCall, startBackend, type Backend } from './mock-helpers.js';
import { waitFor } from '../../../test/helpers/waitFor.js';

// The ELBv2 API (2015-12-01) through the real @aws-sdk/client-elastic-load-balancing-v2: every action,
// success and error.

let lb: LocalElb;
let v2: ElasticLoadBalancingV2Client;
let backend: Backend;
let lbArn = '';
let tgArn = '';
let listenerArn = '';

before(async () => {
  backend = await startBackend('b');
  lb = await startLocalElb({ listenerPorts: 'ephemeral', logger: false });
  v2 = clientsFor(lb).v2;
});

after(async () => {
  v2.destroy();
  await lb.close();
  await backend.close();
});

async function rejects(promise: Promise<unknown>, name: string, code: string, message?: RegExp, status = 400): Promise<void> {
  await assert.rejects(promise, (err: Error & { Code?: string; $metadata?: { httpStatusCode?: number; requestId?: string } }) => {
    assert.equal(err.name, name);
    assert.equal(err.Code ?? err.name, code);
    assert.equal(err.$metadata?.httpStatusCode, status);
    assert.ok(err.$metadata?.requestId);
    if (message) assert.match(err.message, message);
    return true;
  });
}

test('CreateLoadBalancer / DescribeLoadBalancers / DescribeLoadBalancerAttributes / ModifyLoadBalancerAttributes', async () => {
  const created = await v2.send(new CreateLoadBalancerCommand({ Name: 'api-alb', Subnets: ['subnet-0a1b2c3d', 'subnet-0e1f2a3b'] }));
  const alb = created.LoadBalancers?.[0];
  assert.equal(alb?.LoadBalancerName, 'api-alb');
  assert.equal(alb?.Type, 'application');
  assert.equal(alb?.State?.Code, 'provisioning', 'AWS: provisioning first');
  assert.match(alb?.LoadBalancerArn ?? '', /^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/app\/api-alb\/[0-9a-f]{16}$/);
  lbArn = alb!.LoadBalancerArn!;
  const again = await v2.send(new CreateLoadBalancerCommand({ Name: 'api-alb', Subnets: ['subnet-0a1b2c3d', 'subnet-0e1f2a3b'] }));
  assert.equal(again.LoadBalancers?.[0]?.LoadBalancerArn, lbArn, 'same settings: idempotent');
  await rejects(v2.send(new CreateLoadBalancerCommand({ Name: 'api-alb', Type: 'network', Subnets: ['subnet-0a1b2c3d'] })), 'DuplicateLoadBalancerNameException', 'DuplicateLoadBalancerName');
  await rejects(v2.send(new CreateLoadBalancerCommand({ Name: 'web', Subnets: ['subnet-0a1b2c3d', 'subnet-0e1f2a3b'] })), 'DuplicateLoadBalancerNameException', 'DuplicateLoadBalancerName', /web/);
  await rejects(v2.send(new CreateLoadBalancerCommand({ Name: '-bad' })), 'ValidationError', 'ValidationError', /'name'/);

  const all = await v2.send(new DescribeLoadBalancersCommand({}));
  assert.deepEqual(all.LoadBalancers?.map((l) => l.LoadBalancerName), ['web-alb', 'api-alb']);
  const byName = await v2.send(new DescribeLoadBalancersCommand({ Names: ['api-alb'] }));
  assert.equal(byName.LoadBalancers?.[0]?.LoadBalancerArn, lbArn);
  const byArn = await v2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] }));
  assert.equal(byArn.LoadBalancers?.[0]?.LoadBalancerName, 'api-alb');
  const page1 = await v2.send(new DescribeLoadBalancersCommand({ PageSize: 1 }));
  assert.equal(page1.LoadBalancers?.length, 1);
  const page2 = await v2.send(new DescribeLoadBalancersCommand({ PageSize: 1, Marker: page1.NextMarker }));
  assert.equal(page2.LoadBalancers?.[0]?.LoadBalancerName, 'api-alb');
  assert.equal(page2.NextMarker, undefined);
  await rejects(v2.send(new DescribeLoadBalancersCommand({ Names: ['nope'] })), 'LoadBalancerNotFoundException', 'LoadBalancerNotFound');

  const attrs = await v2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn }));
  assert.equal(attrs.Attributes?.find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value, '60');
  const modified = await v2.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '120' }] }));
  assert.equal(modified.Attributes?.find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value, '120');
  await rejects(
    v2.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '0' }] })),
    'ValidationError',
    'ValidationError',
  );
  await rejects(v2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: `${lbArn}0` })), 'LoadBalancerNotFoundException', 'LoadBalancerNotFound');
});

test('CreateTargetGroup / DescribeTargetGroups / attributes', async () => {
  const created = await v2.send(new CreateTargetGroupCommand({ Name: 'api-tg', Protocol: 'HTTP', Port: backend.port, VpcId: 'vpc-0a1b2c3d', HealthCheckPath: '/ping', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 }));
  const tg = created.TargetGroups?.[0];
  assert.equal(tg?.TargetGroupName, 'api-tg');
  assert.equal(tg?.HealthCheckPort, 'traffic-port');
  assert.equal(tg?.HealthCheckPath, '/ping');
  assert.equal(tg?.HealthCheckIntervalSeconds, 5);
  assert.equal(tg?.UnhealthyThresholdCount, 2);
  assert.deepEqual(tg?.Matcher, { HttpCode: '200' });
  assert.deepEqual(tg?.LoadBalancerArns, []);
  tgArn = tg!.TargetGroupArn!;
  assert.match(tgArn, /:targetgroup\/api-tg\/[0-9a-f]{16}$/);

  await rejects(v2.send(new CreateTargetGroupCommand({ Name: 'api-tg', Protocol: 'HTTP', Port: 1, VpcId: 'vpc-0a1b2c3d' })), 'DuplicateTargetGroupNameException', 'DuplicateTargetGroupName');
  await rejects(v2.send(new CreateTargetGroupCommand({ Name: 'x', Protocol: 'HTTP', Port: 70000, VpcId: 'vpc-0a1b2c3d' })), 'ValidationError', 'ValidationError', /'port'/);
  await rejects(
    v2.send(new CreateTargetGroupCommand({ Name: 'x', Protocol: 'HTTP', Port: 80, VpcId: 'vpc-0a1b2c3d', HealthCheckIntervalSeconds: 1 })),
    'ValidationError',
    'ValidationError',
    /healthCheckIntervalSeconds/,
  );

  const byName = await v2.send(new DescribeTargetGroupsCommand({ Names: ['api-tg'] }));
  assert.equal(byName.TargetGroups?.[0]?.TargetGroupArn, tgArn);
  const byArn = await v2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tgArn] }));
  assert.equal(byArn.TargetGroups?.[0]?.TargetGroupName, 'api-tg');
  const all = await v2.send(new DescribeTargetGroupsCommand({}));
  assert.deepEqual(all.TargetGroups?.map((t) => t.TargetGroupName), ['web-tg', 'api-tg']);
  const [webAlb] = (await v2.send(new DescribeLoadBalancersCommand({ Names: ['web-alb'] }))).LoadBalancers ?? [];
  const ofWebAlb = await v2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: webAlb?.LoadBalancerArn }));
  assert.deepEqual(ofWebAlb.TargetGroups?.map((t) => t.TargetGroupName), ['web-tg']);
  await rejects(v2.send(new DescribeTargetGroupsCommand({ Names: ['nope'] })), 'TargetGroupNotFoundException', 'TargetGroupNotFound');
  await rejects(v2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [`${tgArn}0`] })), 'TargetGroupNotFoundException', 'TargetGroupNotFound');

  const attrs = await v2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tgArn }));
  assert.equal(attrs.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value, '300');
  const modified = await v2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tgArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '3' }] }));
  assert.equal(modified.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value, '3');
  await rejects(
    v2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tgArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '3601' }] })),
    'ValidationError',
    'ValidationError',
    /3601/,
  );
  await rejects(v2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tgArn, Attributes: [{ Key: 'no.such.key', Value: '1' }] })), 'ValidationError', 'ValidationError', /no\.such\.key/);
  await rejects(v2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: `${tgArn}0` })), 'TargetGroupNotFoundException', 'TargetGroupNotFound');
});

test('CreateListener / DescribeListeners: forwards to one target group; errors for unknown resources and duplicates', async () => {
  const created = await v2.send(
    new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: 8095, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] }),
  );
  const listener = created.Listeners?.[0];
  assert.equal(listener?.Port, 8095);
  assert.equal(listener?.DefaultActions?.[0]?.TargetGroupArn, tgArn);
  listenerArn = listener!.ListenerArn!;
  assert.ok(lb.listeners.some((l) => l.balancer === 'api-alb' && l.declaredPort === 8095), 'served before the answer');

  const described = await v2.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }));
  assert.deepEqual(described.Listeners?.map((l) => l.ListenerArn), [listenerArn]);
  const byArn = await v2.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }));
  assert.equal(byArn.Listeners?.[0]?.Port, 8095);
  const tg = (await v2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tgArn] }))).TargetGroups?.[0];
  assert.deepEqual(tg?.LoadBalancerArns, [lbArn]);

  await rejects(
    v2.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: 8095, DefaultActions: [{ Type: 'forward', TargetGroupArn: (await v2.send(new DescribeTargetGroupsCommand({ Names: ['web-tg'] }))).TargetGroups?.[0]?.TargetGroupArn }] })),
    'DuplicateListenerException',
    'DuplicateListener',
  );
  await rejects(
    v2.send(new CreateListenerCommand({ LoadBalancerArn: `${lbArn}0`, Protocol: 'HTTP', Port: 8096, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] })),
    'LoadBalancerNotFoundException',
    'LoadBalancerNotFound',
  );
  await rejects(
    v2.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: 8096, DefaultActions: [{ Type: 'forward', TargetGroupArn: `${tgArn}0` }] })),
    'TargetGroupNotFoundException',
    'TargetGroupNotFound',
  );
  await rejects(v2.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: 8096, DefaultActions: undefined as never })), 'ValidationError', 'ValidationError', /defaultActions/);
  await rejects(v2.send(new DescribeListenersCommand({ ListenerArns: [`${listenerArn}0`] })), 'ListenerNotFoundException', 'ListenerNotFound');
  await rejects(v2.send(new DescribeListenersCommand({})), 'ValidationError', 'ValidationError');
});

test('RegisterTargets / DescribeTargetHealth / DeregisterTargets: initial → healthy → draining for the whole delay → unused', async () => {
  const target = { Id: 'i-0ccc0000000000001', Port: backend.port };
  await v2.send(new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [target] }));
  const first = await v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }));
  assert.equal(first.TargetHealthDescriptions?.[0]?.TargetHealth?.State, 'initial');
  assert.equal(first.TargetHealthDescriptions?.[0]?.HealthCheckPort, String(backend.port));

  await waitFor('healthy', async () => {
    const r = await v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn, Targets: [target] }));
    return r.TargetHealthDescriptions?.[0]?.TargetHealth?.State === 'healthy';
  });
  const started = Date.now();
  await v2.send(new DeregisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [target] }));
  const draining = await v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn, Targets: [target] }));
  assert.deepEqual(draining.TargetHealthDescriptions?.[0]?.TargetHealth, { State: 'draining', Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' });
  const unused = await waitFor('unused after the 3 s delay', async () => {
    const r = await v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn, Targets: [target] }));
    const h = r.TargetHealthDescriptions?.[0]?.TargetHealth;
    return h?.State === 'unused' && h;
  });
  assert.ok(Date.now() - started >= 2900, 'draining lasts the whole deregistration delay even with nothing in flight');
  assert.deepEqual(unused, { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' });
  const none = await v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }));
  assert.deepEqual(none.TargetHealthDescriptions, []);

  // Deregistering a target that is not registered answers 200 and does nothing, as AWS does.
  await v2.send(new DeregisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: 'i-0ccc0000000000009', Port: 1 }] }));

  await rejects(v2.send(new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: 'not-an-instance' }] })), 'InvalidTargetException', 'InvalidTarget', /not-an-instance/);
  await rejects(v2.send(new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: 'i-0ccc0000000000001', Port: 0 }] })), 'ValidationError', 'ValidationError', /targets\.1\.member\.port/);
  await rejects(v2.send(new RegisterTargetsCommand({ TargetGroupArn: `${tgArn}0`, Targets: [target] })), 'TargetGroupNotFoundException', 'TargetGroupNotFound');
  await rejects(v2.send(new DeregisterTargetsCommand({ TargetGroupArn: `${tgArn}0`, Targets: [target] })), 'TargetGroupNotFoundException', 'TargetGroupNotFound');
  await rejects(v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: `${tgArn}0` })), 'TargetGroupNotFoundException', 'TargetGroupNotFound');
});

test('a target group no listener uses reports its targets unused (Target.NotInUse) and is not health checked', async () => {
  const created = await v2.send(new CreateTargetGroupCommand({ Name: 'idle-tg', Protocol: 'HTTP', Port: backend.port, VpcId: 'vpc-0a1b2c3d' }));
  const arn = created.TargetGroups![0]!.TargetGroupArn!;
  await v2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-0ccc0000000000002' }] }));
  const r = await v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
  assert.deepEqual(r.TargetHealthDescriptions?.[0]?.Target, { Id: 'i-0ccc0000000000002', Port: backend.port });
  assert.equal(r.TargetHealthDescriptions?.[0]?.TargetHealth?.Reason, 'Target.NotInUse');
  await v2.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }));
});

test('DeleteListener / DeleteTargetGroup / DeleteLoadBalancer: in-use group refused, then deleted in order', async () => {
  await rejects(v2.send(new DeleteTargetGroupCommand({ TargetGroupArn: tgArn })), 'ResourceInUseException', 'ResourceInUse');
  await v2.send(new DeleteListenerCommand({ ListenerArn: listenerArn }));
  assert.ok(!lb.listeners.some((l) => l.declaredPort === 8095), 'the listener stopped');
  await rejects(v2.send(new DeleteListenerCommand({ ListenerArn: listenerArn })), 'ListenerNotFoundException', 'ListenerNotFound');
  await v2.send(new DeleteTargetGroupCommand({ TargetGroupArn: tgArn }));
  await rejects(v2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tgArn] })), 'TargetGroupNotFoundException', 'TargetGroupNotFound');
  await v2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn }));
  await rejects(v2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] })), 'LoadBalancerNotFoundException', 'LoadBalancerNotFound');
});

test('wire format of ELBv2 answers: namespace 2015-12-01, member lists, Result always present', async () => {
  const res = await rawCall(lb.endpoint, 'Action=DescribeTargetGroups&Version=2015-12-01&Names.member.1=web-tg');
  assert.equal(res.status, 200);
  assert.match(res.text, /^<DescribeTargetGroupsResponse xmlns="http:\/\/elasticloadbalancing\.amazonaws\.com\/doc\/2015-12-01\/"><DescribeTargetGroupsResult><TargetGroups><member>/);
  const empty = await rawCall(lb.endpoint, `Action=DeregisterTargets&Version=2015-12-01&TargetGroupArn=${encodeURIComponent((await v2.send(new DescribeTargetGroupsCommand({ Names: ['web-tg'] }))).TargetGroups![0]!.TargetGroupArn!)}&Targets.member.1.Id=i-0ccc0000000000003`);
  assert.equal(empty.status, 200);
  assert.match(empty.text, /<DeregisterTargetsResult><\/DeregisterTargetsResult>/);
});

test('targetRegistrationLagMs: right after RegisterTargets a target reads unused for a moment, as AWS may', async () => {
  const lagged = await startLocalElb({ listenerPorts: 'ephemeral', logger: false, targetRegistrationLagMs: 3000 }); // wide enough for two calls on a busy machine
  try {
    const client = clientsFor(lagged).v2;
    const arn = lagged.status().targetGroups[0]!.arn;
    await client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-0ddd0000000000001', Port: backend.port }] }));
    const early = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-0ddd0000000000001', Port: backend.port }] }));
    assert.deepEqual(early.TargetHealthDescriptions?.[0]?.TargetHealth, { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' });
    await waitFor('the registration to become visible', async () => {
      const r = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
      return ['initial', 'healthy'].includes(r.TargetHealthDescriptions?.[0]?.TargetHealth?.State ?? '');
    });
    client.destroy();
  } finally {
    await lagged.close();
  }
});

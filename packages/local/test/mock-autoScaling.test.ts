import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstanceHealthCommand } from '@aws-sdk/client-elastic-load-balancing';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import { clientsFor, rawCall, startBackend, type Backend } from './mock-helpers.js';
import { waitFor } from '../../../test/helpers/waitFor.js';

// The local Auto Scaling (API 2011-01-01) through the real SDK client, its IMDS items, and the local control actions.

const A = 'i-0a5a000000000000a';
const B = 'i-0a5a000000000000b';
const LONER = 'i-0a5a00000000000cc';
const C = 'i-0a5a000000000000c';
let lb: LocalElb;
let backend: Backend;
let asg: AutoScalingClient;

before(async () => {
  backend = await startBackend('app');
  lb = await startLocalElb({
    logger: false,
    propagationDelayMs: 100,
    instances: { [A]: backend.address, [B]: backend.address },
    config: {
      classic: [{ name: 'web', healthCheck: { target: 'HTTP:3000/ping', intervalSeconds: 0.1, healthyThreshold: 1 }, connectionDraining: { enabled: true, timeoutSeconds: 5 }, instances: [A, B] }],
      autoScalingGroups: [{ name: 'web-asg', instances: [A, B, C], loadBalancers: ['web'], healthCheckType: 'ELB', lifecycleHooks: [{ name: 'drain', heartbeatTimeoutSeconds: 60, defaultResult: 'CONTINUE' }] }],
      spotInstances: [B],
    },
  });
  asg = new AutoScalingClient({ endpoint: lb.env.AWS_ENDPOINT_URL_AUTO_SCALING, region: lb.env.AWS_REGION, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
  const { classic } = clientsFor(lb);
  await waitFor('both InService on web', async () => {
    const { InstanceStates } = await classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web' }));
    return InstanceStates?.filter((s) => s.State === 'InService').length === 2;
  });
});

after(async () => {
  asg.destroy();
  await lb.close();
  await backend.close();
});

async function imds(instanceId: string, item: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${lb.endpoint}/_local/imds/${instanceId}/latest/meta-data/${item}`);
  return { status: res.status, text: await res.text() };
}

async function control(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${lb.endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test('DescribeAutoScalingInstances and DescribeLifecycleHooks answer from the config, as the SDK parses them', async () => {
  const { AutoScalingInstances } = await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [A] }));
  assert.deepEqual(
    AutoScalingInstances?.map((i) => [i.InstanceId, i.AutoScalingGroupName, i.LifecycleState, i.HealthStatus, i.ProtectedFromScaleIn]),
    [[A, 'web-asg', 'InService', 'HEALTHY', false]],
  );
  const none = await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [LONER] }));
  assert.deepEqual(none.AutoScalingInstances, []);
  const { LifecycleHooks } = await asg.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: 'web-asg' }));
  assert.deepEqual(
    LifecycleHooks?.map((h) => [h.LifecycleHookName, h.LifecycleTransition, h.HeartbeatTimeout, h.GlobalTimeout, h.DefaultResult]),
    [['drain', 'autoscaling:EC2_INSTANCE_TERMINATING', 60, 6000, 'CONTINUE']],
  );
  await assert.rejects(asg.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: 'nope' })), (err: Error) => err.name === 'ValidationError' && /nope/.test(err.message));
});

test('errors come in the Auto Scaling namespace with AWS codes', async () => {
  const res = await rawCall(lb.endpoint, 'Action=CompleteLifecycleAction&Version=2011-01-01&AutoScalingGroupName=web-asg&LifecycleHookName=drain&LifecycleActionResult=CONTINUE&InstanceId=' + B);
  assert.equal(res.status, 400);
  assert.match(res.text, /xmlns="http:\/\/autoscaling\.amazonaws\.com\/doc\/2011-01-01\/"/);
  assert.match(res.text, /<Code>ValidationError<\/Code>/);
  assert.match(res.text, new RegExp(`No active Lifecycle Action found with instance ID ${B}`));
  const bad = await rawCall(lb.endpoint, 'Action=CompleteLifecycleAction&Version=2011-01-01&AutoScalingGroupName=web-asg&LifecycleHookName=drain&LifecycleActionResult=MAYBE&InstanceId=' + B);
  assert.match(bad.text, /lifecycleActionResult/);
});

test('IMDS: target-lifecycle-state and spot items are 404 until there is something to say', async () => {
  assert.deepEqual(await imds(A, 'autoscaling/target-lifecycle-state'), { status: 200, text: 'InService' });
  assert.equal((await imds(LONER, 'autoscaling/target-lifecycle-state')).status, 404);
  assert.equal((await imds(B, 'instance-life-cycle')).text, 'spot');
  assert.equal((await imds(A, 'instance-life-cycle')).text, 'on-demand');
  assert.equal((await imds(B, 'spot/instance-action')).status, 404);
  assert.equal((await imds(B, 'events/recommendations/rebalance')).status, 404);
});

test('scale-in: attached balancer first, then Terminating:Wait; a heartbeat and CompleteLifecycleAction end it', async () => {
  const { status, json } = await control('/_local/autoscaling/scale-in', { instanceId: A });
  assert.equal(status, 200, JSON.stringify(json));
  assert.equal((await imds(A, 'autoscaling/target-lifecycle-state')).text, 'Terminated');
  const view = () => lb.autoScaling.instances().find((i) => i.instanceId === A)!;
  await waitFor('Terminating:Wait', () => view().state === 'Terminating:Wait');
  // The group deregistered the instance from its attached Classic ELB before the wait began.
  const health = await clientsFor(lb).classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: A }] }));
  assert.equal(health.InstanceStates?.[0]?.State, 'OutOfService');
  const before = view().action!.heartbeatDeadlineAt;
  await asg.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: 'web-asg', LifecycleHookName: 'drain', InstanceId: A }));
  assert.ok(view().action!.heartbeatDeadlineAt >= before);
  assert.equal(view().action!.heartbeats, 1);
  await asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'web-asg', LifecycleHookName: 'drain', InstanceId: A, LifecycleActionResult: 'CONTINUE' }));
  assert.deepEqual(view().history.map((e) => e.state), ['InService', 'Terminating', 'Terminating:Wait', 'Terminating:Proceed', 'Terminated']);
  assert.equal(view().history.at(-1)?.cause, 'CompleteLifecycleAction CONTINUE');
  const gone = await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [A] }));
  assert.deepEqual(gone.AutoScalingInstances, []);
  const again = await control('/_local/autoscaling/scale-in', { instanceId: A });
  assert.equal(again.status, 400);
});

test('EnterStandby leaves the attached balancer (Standby), ExitStandby joins it again (InService)', async () => {
  const entered = await asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'web-asg', InstanceIds: [B], ShouldDecrementDesiredCapacity: true }));
  assert.match(entered.Activities?.[0]?.Description ?? '', /Moving EC2 instance to Standby/);
  assert.equal((await imds(B, 'autoscaling/target-lifecycle-state')).text, 'Standby');
  await waitFor('Standby', () => lb.autoScaling.instances().find((i) => i.instanceId === B)?.state === 'Standby');
  await assert.rejects(asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'web-asg', InstanceIds: [B], ShouldDecrementDesiredCapacity: true })), /not in InService/);
  const exited = await asg.send(new ExitStandbyCommand({ AutoScalingGroupName: 'web-asg', InstanceIds: [B] }));
  assert.equal(exited.Activities?.[0]?.StatusCode, 'PreInService');
  assert.equal((await imds(B, 'autoscaling/target-lifecycle-state')).text, 'InService');
  const { classic } = clientsFor(lb);
  await waitFor('B back InService on web', async () => {
    const { InstanceStates } = await classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: B }] }));
    return InstanceStates?.[0]?.State === 'InService';
  });
});

test('a Spot notice and a rebalance recommendation appear in IMDS as EC2 writes them', async () => {
  const sent = await control('/_local/spot/interrupt', { instanceId: B, action: 'stop' });
  assert.equal(sent.status, 200);
  const notice = JSON.parse((await imds(B, 'spot/instance-action')).text) as { action: string; time: string };
  assert.equal(notice.action, 'stop');
  assert.match(notice.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const inMs = Date.parse(notice.time) - Date.now();
  assert.ok(inMs > 110_000 && inMs <= 120_000, `two minutes ahead (${inMs} ms)`);
  await control('/_local/spot/rebalance', { instanceId: B });
  assert.match((await imds(B, 'events/recommendations/rebalance')).text, /^\{"noticeTime":"[^"]+Z"\}$/);
  const bad = await control('/_local/spot/interrupt', { instanceId: B, action: 'explode' });
  assert.equal(bad.status, 400);
  assert.match(String(bad.json.error), /action/);
  const noId = await control('/_local/spot/interrupt', {});
  assert.match(String(noId.json.error), /instanceId/);
});

/** `graceful-elb-local <args>` as a real process: its exit code and output. */
async function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../src/cli.ts', import.meta.url)), ...args], { env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' } });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

test('the CLI control commands: scale-in and spot-interrupt against a running local ELB; bad input exits 2 naming it', async () => {
  const scaled = await cli(['scale-in', C, '--endpoint', lb.endpoint]);
  assert.equal(scaled.code, 0, scaled.err);
  assert.equal((JSON.parse(scaled.out) as { targetLifecycleState: string }).targetLifecycleState, 'Terminated');
  assert.equal((await imds(C, 'autoscaling/target-lifecycle-state')).text, 'Terminated');
  const again = await cli(['scale-in', C, '--endpoint', lb.endpoint]);
  assert.equal(again.code, 1);
  assert.match(again.err, /not in InService/);
  const spot = await cli(['spot-interrupt', C, '--action', 'hibernate', '--endpoint', lb.endpoint]);
  assert.equal(spot.code, 0, spot.err);
  assert.equal((JSON.parse((await imds(C, 'spot/instance-action')).text) as { action: string }).action, 'hibernate');
  const badAction = await cli(['spot-interrupt', C, '--action', 'explode', '--endpoint', lb.endpoint]);
  assert.equal(badAction.code, 2);
  assert.match(badAction.err, /--action.*"explode"/);
  const badId = await cli(['scale-in', 'web-1', '--endpoint', lb.endpoint]);
  assert.equal(badId.code, 2);
  assert.match(badId.err, /<instance-id>.*"web-1"/);
});

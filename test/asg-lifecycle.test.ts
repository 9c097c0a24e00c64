// Auto Scaling scale-in, Standby and Spot in real processes: a forked fixture app, the real AWS SDK over HTTP to the
// local ELB (which plays Auto Scaling and IMDS per instance), load through its Classic listener, the app's own exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AutoScalingClient, EnterStandbyCommand, ExitStandbyCommand } from '@aws-sdk/client-auto-scaling';
import type { LocalElb } from '@graceful-elb/local';
import { EXIT_CODES } from '../src/exitCodes.js';
import { forkInstance, instanceHealth, startCoreElbWithStable, type CoreElbOptions } from './helpers/coreElb.js';
import { FIXTURE_APP, type Forked } from './helpers/fork.js';
import { startLoad } from './helpers/load.js';
import { waitFor } from './helpers/waitFor.js';

const APP = 'i-0a5c00000000000a1';
const STABLE = 'i-0a5c00000000000b2';
const NOTICE_INTERVAL_MS = 200;
const PROPAGATION_MS = 300;

interface Setup {
  lb: LocalElb;
  app: Forked;
  /** Forks the app again, as the same instance (a deployment's ApplicationStart), and waits until it is ready. */
  restart(): Promise<Forked>;
}

/** A local ELB with the app and a stable second instance in `web` (the app joins it itself), and the app forked. */
async function setup(t: { after(fn: () => unknown): void }, elb: CoreElbOptions, options: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<Setup> {
  const lb = await startCoreElbWithStable(t, STABLE, { propagationDelayMs: PROPAGATION_MS, ...elb });
  const start = async (): Promise<Forked> => {
    const app = forkInstance(
      lb,
      FIXTURE_APP,
      APP,
      { FIXTURE_OPTIONS: JSON.stringify({ pollIntervalMs: 200, probeIntervalMs: 100, drainSeconds: 20, quietMs: 1000, graceMs: 2000, noticeIntervalMs: NOTICE_INTERVAL_MS, ...options }), ...env },
      (l) => l.fixture === 'listening',
    );
    t.after(() => app.kill());
    await app.line((l) => l.fixture === 'ready', 30_000, 'ready');
    return app;
  };
  const app = await start();
  await waitFor('the stable instance in service', async () => (await instanceHealth(lb, 'web', STABLE)).state === 'InService', 10_000);
  return { lb, app, restart: start };
}

const routedTo = (lb: LocalElb, id: string): number => lb.status().instances[id]?.routed ?? 0;
const phase = (app: Forked, name: string) => app.lines.find((l) => l.phase === name);
const callsOf = (lb: LocalElb, action: string) => lb.calls().filter((c) => c.action === action);

/** Load through the balancer's listener until some of it reached the app. */
async function loadThrough(t: { after(fn: () => unknown): void }, lb: LocalElb): Promise<ReturnType<typeof startLoad>> {
  const listener = lb.listeners.find((l) => l.balancer === 'web')!;
  const load = startLoad(listener.port, ['/', '/work?ms=30', '/work?ms=120']);
  t.after(() => load.stop());
  await waitFor('traffic, some of it to the app', () => load.result.ok >= 50 && routedTo(lb, APP) >= 20, 15_000);
  return load;
}

async function finishLoad(load: ReturnType<typeof startLoad>): Promise<ReturnType<typeof startLoad>['result']> {
  const okAtExit = load.result.ok;
  await waitFor('traffic after the exit', () => load.result.ok >= okAtExit + 30, 20_000);
  load.stop();
  return load.done;
}

test('scale-in with a termination hook under load: 0 failed, leave → drain → close → CompleteLifecycleAction (retried once throttled) long before the hook timeout, exit 10', async (t) => {
  const hookTimeoutSeconds = 120;
  const { lb, app } = await setup(t, { autoScalingGroups: [{ name: 'web-asg', instances: [APP, STABLE], lifecycleHooks: [{ name: 'drain', heartbeatTimeoutSeconds: hookTimeoutSeconds }] }] });
  const load = await loadThrough(t, lb);
  // The first CompleteLifecycleAction is throttled, as a busy account's would be: the library retries it.
  lb.faults.throttle({ count: 1, actions: ['CompleteLifecycleAction'] });

  const scaledAt = Date.now();
  const res = await fetch(`${lb.endpoint}/_local/autoscaling/scale-in`, { method: 'POST', body: JSON.stringify({ instanceId: APP }) });
  assert.equal(res.status, 200);
  const exit = await app.exited;
  const result = await finishLoad(load);

  assert.equal(exit.code, EXIT_CODES.autoScalingTerminated, app.stderr().slice(-2000));
  assert.equal(result.failed, 0, `failed requests: ${result.errors.slice(0, 5).join('; ')}`);
  const deregister = callsOf(lb, 'DeregisterInstancesFromLoadBalancer').find((c) => c.instanceIds.includes(APP));
  assert.ok(deregister, 'the app left the balancer it had joined itself (the group does not know it)');
  // Discovery: the group and its termination hook came from the API, not from options.
  assert.equal(callsOf(lb, 'DescribeAutoScalingInstances').length, 1);
  assert.equal(callsOf(lb, 'DescribeLifecycleHooks')[0]?.autoScalingGroup, 'web-asg');
  const complete = callsOf(lb, 'CompleteLifecycleAction');
  assert.deepEqual(complete.map((c) => c.error ?? c.status), ['Throttling', 200]);
  const closed = phase(app, 'closed');
  assert.ok(closed, 'the server closed');
  assert.ok(complete[0]!.at >= (closed.time as number), 'the lifecycle action was completed after the drain and the close');
  assert.ok(deregister.at < (closed.time as number));

  const history = lb.autoScaling.instances().find((i) => i.instanceId === APP)!.history;
  assert.deepEqual(history.map((e) => e.state), ['InService', 'Terminating', 'Terminating:Wait', 'Terminating:Proceed', 'Terminated']);
  assert.equal(history.at(-1)!.cause, 'CompleteLifecycleAction CONTINUE');
  const waitedMs = history.at(-1)!.at - history.find((e) => e.state === 'Terminating:Wait')!.at;
  assert.ok(waitedMs < (hookTimeoutSeconds * 1000) / 4, `completed in ${waitedMs} ms, well before the ${hookTimeoutSeconds} s hook timeout`);
  t.diagnostic(`scale-in → exit ${exit.at - scaledAt} ms; Terminating:Wait lasted ${waitedMs} ms (hook timeout ${hookTimeoutSeconds} s); requests ok ${result.ok}, failed ${result.failed}`);
});

test('a drain longer than the hook timeout: heartbeats keep the instance in Terminating:Wait until CONTINUE', async (t) => {
  const { lb, app } = await setup(t, {
    autoScalingGroups: [{ name: 'web-asg', instances: [APP], lifecycleHooks: [{ name: 'drain', heartbeatTimeoutSeconds: 4, defaultResult: 'ABANDON' }] }],
  });
  const port = lb.listeners.find((l) => l.balancer === 'web')!.port;
  // 9 s requests through the balancer (round robin: some reach the app) hold the drain past two heartbeat timeouts.
  const slow = Promise.all([1, 2, 3].map(() => fetch(`http://127.0.0.1:${port}/work?ms=9000`).then((r) => r.status)));
  await app.line((l) => l.fixture === 'long-request', 10_000, 'the slow request in the app');
  lb.autoScaling.scaleIn(APP);
  const exit = await app.exited;
  assert.deepEqual(await slow, [200, 200, 200]);
  assert.equal(exit.code, EXIT_CODES.autoScalingTerminated);
  assert.ok(callsOf(lb, 'RecordLifecycleActionHeartbeat').filter((c) => c.status === 200).length >= 2, 'heartbeats while draining');
  const history = lb.autoScaling.instances().find((i) => i.instanceId === APP)!.history;
  assert.equal(history.at(-1)!.cause, 'CompleteLifecycleAction CONTINUE', JSON.stringify(history));
});

test('Standby (EnterStandby from outside): the app leaves the balancer and keeps running; ExitStandby: it joins again', async (t) => {
  const { lb, app } = await setup(t, { autoScalingGroups: [{ name: 'web-asg', instances: [APP, STABLE] }] });
  const load = await loadThrough(t, lb);
  const asg = new AutoScalingClient({ endpoint: lb.env.AWS_ENDPOINT_URL_AUTO_SCALING, region: lb.env.AWS_REGION, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  t.after(() => asg.destroy());

  await asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'web-asg', InstanceIds: [APP], ShouldDecrementDesiredCapacity: true }));
  await app.line((l) => l.fixture === 'state' && l.state === 'standby', 10_000, 'state standby');
  await waitFor('the app leaving web', () => callsOf(lb, 'DeregisterInstancesFromLoadBalancer').some((c) => c.instanceIds.includes(APP)), 10_000);
  await waitFor('the app out of web', async () => (await instanceHealth(lb, 'web', APP)).state === 'OutOfService', 15_000);
  assert.equal(app.child.exitCode, null, 'still running');

  await asg.send(new ExitStandbyCommand({ AutoScalingGroupName: 'web-asg', InstanceIds: [APP] }));
  await waitFor('in service again', () => {
      const left = app.lines.findIndex((l) => l.fixture === 'state' && l.state === 'standby');
      return left >= 0 && app.lines.slice(left).some((l) => l.fixture === 'state' && l.state === 'in-service');
    }, 15_000
  );
  await waitFor('the app back in web', async () => (await instanceHealth(lb, 'web', APP)).state === 'InService', 15_000);
  const routed = routedTo(lb, APP);
  await waitFor('traffic to the app again', () => routedTo(lb, APP) > routed + 10, 15_000);
  load.stop();
  const result = await load.done;
  assert.equal(result.failed, 0, `failed requests: ${result.errors.slice(0, 5).join('; ')}`);
});

test('a Spot notice under load: out of the balancer within the poll interval + propagation, 0 failed, exit 11', async (t) => {
  const { lb, app } = await setup(t, { spotInstances: [APP] });
  const load = await loadThrough(t, lb);
  const noticeAt = Date.now();
  const res = await fetch(`${lb.endpoint}/_local/spot/interrupt`, { method: 'POST', body: JSON.stringify({ instanceId: APP }) });
  assert.equal(res.status, 200);
  // Sample how many requests the balancer still sends the app; it must stop once the deregistration has propagated.
  let lastRoutedAt = noticeAt;
  let routed = routedTo(lb, APP);
  const sampler = setInterval(() => {
    const now = routedTo(lb, APP);
    if (now > routed) (routed = now), (lastRoutedAt = Date.now());
  }, 10);
  t.after(() => clearInterval(sampler));
  const exit = await app.exited;
  clearInterval(sampler);
  const result = await finishLoad(load);

  assert.equal(exit.code, EXIT_CODES.spotInterrupted, app.stderr().slice(-2000));
  assert.equal(result.failed, 0, `failed requests: ${result.errors.slice(0, 5).join('; ')}`);
  const deregister = callsOf(lb, 'DeregisterInstancesFromLoadBalancer').find((c) => c.instanceIds.includes(APP))!;
  const leaveMs = deregister.at - noticeAt;
  const lastRequestMs = lastRoutedAt - noticeAt;
  // Generous for a busy machine; the numbers are reported below.
  assert.ok(leaveMs < NOTICE_INTERVAL_MS + 3000, `deregistered ${leaveMs} ms after the notice`);
  assert.ok(lastRequestMs < NOTICE_INTERVAL_MS + PROPAGATION_MS + 3000, `last request routed to the app ${lastRequestMs} ms after the notice`);
  assert.equal(callsOf(lb, 'CompleteLifecycleAction').length, 0);
  assert.ok(exit.at - noticeAt < 120_000);
  t.diagnostic(`Spot notice → deregistered ${leaveMs} ms, last request routed ${lastRequestMs} ms (interval ${NOTICE_INTERVAL_MS} + propagation ${PROPAGATION_MS} ms), exit ${exit.at - noticeAt} ms; ok ${result.ok}, failed ${result.failed}`);
});

test('an app not in any group and not on Spot: one IMDS read each, then no more asking', async (t) => {
  const { lb, app } = await setup(t, {});
  const settled = await app.line((l) => l.phase === 'auto-scaling' && typeof l.msg === 'string' && /watch ended: not-in-group/.test(l.msg), 10_000, 'auto-scaling watch ended');
  await app.line((l) => l.phase === 'spot' && typeof l.msg === 'string' && /watch ended: not-spot/.test(l.msg), 10_000, 'spot watch ended');
  assert.ok(settled);
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  assert.equal(exit.code, 0);
  assert.equal(callsOf(lb, 'DescribeAutoScalingInstances').length, 0, 'the Auto Scaling SDK was never needed');
});

test('a Standby deployment (deploymentLeave standby, the balancer attached to the group): EnterStandby before leaving, ExitStandby before joining, 0 failed', async (t) => {
  const { lb, app, restart } = await setup(
    t,
    { autoScalingGroups: [{ name: 'web-asg', instances: [APP, STABLE], loadBalancers: ['web'], healthCheckType: 'ELB' }] },
    { autoScaling: { deploymentLeave: 'standby' } },
  );
  const load = await loadThrough(t, lb);
  const state = () => lb.autoScaling.instances().find((i) => i.instanceId === APP)!.state;
  app.child.kill('SIGTERM');
  const stopped = await app.exited;
  assert.equal(stopped.code, 0, app.stderr().slice(-2000));
  const enter = callsOf(lb, 'EnterStandby');
  assert.equal(enter.length, 1);
  assert.deepEqual(enter[0]!.instanceIds, [APP]);
  const leave = callsOf(lb, 'DeregisterInstancesFromLoadBalancer').filter((c) => c.instanceIds.includes(APP));
  assert.ok(leave.every((c) => c.at >= enter[0]!.answeredAt!), 'in Standby before any deregistration (the group never sees it OutOfService)');
  await waitFor('Standby in the group', () => state() === 'Standby', 15_000);

  const second = await restart();
  const exit = callsOf(lb, 'ExitStandby');
  assert.equal(exit.length, 1);
  const register = callsOf(lb, 'RegisterInstancesWithLoadBalancer').filter((c) => c.instanceIds.includes(APP)).at(-1)!;
  assert.ok(register.at >= exit[0]!.answeredAt!, 'out of Standby before joining');
  assert.equal(state(), 'InService');
  const routed = routedTo(lb, APP);
  await waitFor('traffic to the new process', () => routedTo(lb, APP) > routed + 10, 15_000);
  load.stop();
  const result = await load.done;
  assert.equal(result.failed, 0, `failed requests: ${result.errors.slice(0, 5).join('; ')}`);
  second.child.kill('SIGTERM');
  assert.equal((await second.exited).code, 0);
});

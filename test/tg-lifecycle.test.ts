import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeTargetHealthCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createGracefulElb } from '../src/gracefulElb.js';
import type { LocalElb } from '@graceful-elb/local';
import { BalancerApiError } from '../src/balancers/errors.js';
import { EXIT_CODES } from '../src/exitCodes.js';
import { captureLogger, fakeProcess } from './helpers/capture.js';
import { closeServer, fetchText, recordingClients as clients, startApp, startTgLocalElb } from './helpers/tgLocalElb.js';
import { waitFor } from './helpers/waitFor.js';

// The library with ALB/NLB target groups, in one process, against the local ELB over the real SDK clients.

const FAST = { probeIntervalMs: 50, pollIntervalMs: 100, quietMs: 300, graceMs: 1000, signals: [] as NodeJS.Signals[], exit: () => undefined };

/** Deregistered from the Classic ELB: draining, or (connection draining ends early for an idle instance) already gone. */
function leftClassic(status: ReturnType<LocalElb['status']>): boolean {
  return (status.classic[0]?.instances ?? []).every((i) => /deregistration currently in progress|not currently registered/.test(i.description ?? ''));
}

async function targetState(v2: ElasticLoadBalancingV2Client, arn: string, id: string, port: number): Promise<string | undefined> {
  const out = await v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn, Targets: [{ Id: id, Port: port }] }));
  return out.TargetHealthDescriptions?.[0]?.TargetHealth?.State;
}

test('target group: joins when healthy (through the brief `unused` after registration), serves through the ALB, leaves in seconds while the group still says draining', async (t) => {
  // AWS's DescribeTargetHealth is eventually consistent: right after RegisterTargets it may still say `unused`.
  const { lb, arns, urls } = await startTgLocalElb({ albIdleTimeoutSeconds: 120, extra: { targetRegistrationLagMs: 800 } });
  t.after(() => lb.close());
  const app = await startApp('app-a');
  t.after(() => closeServer(app));
  const { classic, v2, calls } = clients(lb);
  const { logger, lines } = captureLogger();
  const arn = arns['web-tg']!;

  const handle = createGracefulElb(
    { server: app, targetGroupArn: arn, instanceId: 'i-0aaaaaaaaaaaaaaa1', client: classic, elbv2Client: v2, logger, drainSeconds: 30, ...FAST },
    { env: { ...lb.env }, process: fakeProcess() },
  );
  t.after(() => handle.close());
  const info = await handle.ready;
  assert.equal(info.state, 'in-service');
  assert.deepEqual(info.balancers, ['target-group/web-tg']);
  const target = lb.status().targetGroups.find((g) => g.name === 'web-tg')!.targets[0]!;
  assert.equal(target.instanceId, 'i-0aaaaaaaaaaaaaaa1');
  assert.equal(target.port, app.port, 'registered on the listening port by default');
  assert.equal(target.state, 'healthy');
  assert.ok(calls.findIndex((c) => c.name === 'RegisterTargets') < calls.findIndex((c) => c.name === 'DescribeTargetHealth'), 'registered, then polled');
  const seen = lines.filter((l) => l.msg === 'waiting for InService').map((l) => (l as unknown as { view: { state: string } }).view.state);
  assert.equal(seen[0], 'unused', `the first answer after registering was unused (then: ${[...new Set(seen)].join(', ')})`);
  // Keep-alive above the ALB's idle timeout, read through DescribeTargetGroups → DescribeLoadBalancerAttributes.
  assert.equal(app.keepAliveTimeout, 125_000);
  assert.ok(calls.some((c) => c.name === 'DescribeLoadBalancerAttributes'));

  const answer = await fetchText(`${urls['web-alb']}/hello`);
  assert.deepEqual(answer, { status: 200, body: 'app-a' });

  const summary = await handle.shutdown('test');
  assert.equal(summary.drain, 'drained', 'the drain ended on traffic, not on a deadline');
  assert.equal(summary.exitCode, 0);
  assert.ok(summary.durationMs < 10_000, `left in ${summary.durationMs} ms, far below the 300 s deregistration delay`);
  assert.equal(await targetState(v2, arn, 'i-0aaaaaaaaaaaaaaa1', app.port), 'draining', 'AWS-like: still draining, and the process did not wait for it');
  assert.equal(app.listening, false);
  assert.ok(lines.some((l) => l.phase === 'deregister'));
  v2.destroy();
  classic.destroy();
});

test('target group: the drain ends at the deregistration delay when it is shorter than drainSeconds', async (t) => {
  const { lb, arns, urls } = await startTgLocalElb({ deregistrationDelaySeconds: 2 });
  t.after(() => lb.close());
  const app = await startApp('app-b');
  t.after(() => closeServer(app));
  const { classic, v2 } = clients(lb);
  const { logger, lines } = captureLogger();
  const handle = createGracefulElb(
    { server: app, targetGroups: [{ targetGroupArn: arns['web-tg']! }], instanceId: 'i-0bbbbbbbbbbbbbbb1', client: classic, elbv2Client: v2, logger, drainSeconds: 30, ...FAST, graceMs: 300 },
    { env: { ...lb.env }, process: fakeProcess() },
  );
  t.after(() => handle.close());
  await handle.ready;
  assert.equal(lines.find((l) => l.phase === 'drain-bound')?.maxDrainSeconds, 2);

  // A request that would outlive the balancer: after the delay the balancer itself cuts it.
  const slow = fetchText(`${urls['web-alb']}/slow?ms=20000`).catch((error: unknown) => error);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const summary = await handle.shutdown('test');
  assert.equal(summary.drain, 'deadline');
  assert.ok(summary.durationMs < 8000, `ended after ${summary.durationMs} ms: bounded by the 2 s delay, not the 30 s drainSeconds`);
  await slow;
  v2.destroy();
  classic.destroy();
});

test('several balancers: a Classic ELB and two target groups joined and left in parallel, ready when all are in service', async (t) => {
  const id = 'i-0ccccccccccccccc1';
  const app = await startApp('app-c');
  t.after(() => closeServer(app));
  const { lb, arns, urls } = await startTgLocalElb({ classic: true, groups: ['web-tg', 'api-tg'], instances: { [id]: `127.0.0.1:${app.port}` } });
  t.after(() => lb.close());
  const { classic, v2, calls } = clients(lb);
  const handle = createGracefulElb(
    { server: app, elbName: 'web', targetGroups: [{ targetGroupArn: arns['web-tg']! }, { targetGroupArn: arns['api-tg']!, port: app.port }], instanceId: id, client: classic, elbv2Client: v2, logger: false, drainSeconds: 30, ...FAST },
    { env: { ...lb.env }, process: fakeProcess() },
  );
  t.after(() => handle.close());
  const info = await handle.ready;
  assert.deepEqual(info.balancers, ['elb/web', 'target-group/web-tg', 'target-group/api-tg']);
  const status = lb.status();
  assert.equal(status.classic[0]?.instances[0]?.state, 'InService');
  for (const g of status.targetGroups) assert.equal(g.targets[0]?.state, 'healthy', g.name);
  for (const url of [urls.web!, urls['web-alb']!, urls['web-alb-1']!]) assert.equal((await fetchText(url)).body, 'app-c');

  lb.faults.latency(400); // every API call now takes 400 ms: three calls in a row would take 1.2 s
  const summary = await handle.shutdown('test');
  lb.faults.clear();
  assert.equal(summary.exitCode, 0);
  const leaves = calls.filter((c) => c.name === 'DeregisterInstancesFromLoadBalancer' || c.name === 'DeregisterTargets');
  assert.equal(leaves.length, 3);
  const firstEnd = Math.min(...leaves.map((c) => c.end));
  assert.ok(leaves.every((c) => c.start < firstEnd), 'every deregistration started before the first one ended');
  const after = lb.status();
  assert.ok(leftClassic(after), JSON.stringify(after.classic[0]?.instances));
  for (const g of after.targetGroups) assert.equal(g.targets[0]?.state, 'draining', g.name);
  v2.destroy();
  classic.destroy();
});

test('several balancers: one failing is reported by name and does not stop the others from being joined and left', async (t) => {
  const id = 'i-0ddddddddddddddd1';
  const app = await startApp('app-d');
  t.after(() => closeServer(app));
  const { lb, arns } = await startTgLocalElb({ classic: true, instances: { [id]: `127.0.0.1:${app.port}` } });
  t.after(() => lb.close());
  const { classic, v2 } = clients(lb);
  const { logger, lines } = captureLogger();
  const missing = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/missing-tg/0123456789abcdef';
  const handle = createGracefulElb(
    { server: app, elbName: 'web', targetGroups: [{ targetGroupArn: missing }, { targetGroupArn: arns['web-tg']! }], instanceId: id, client: classic, elbv2Client: v2, logger, drainSeconds: 2, ...FAST },
    { env: { ...lb.env }, process: fakeProcess() },
  );
  t.after(() => handle.close());
  await assert.rejects(handle.ready, (error: unknown) => {
    assert.ok(error instanceof BalancerApiError);
    assert.equal(error.balancer, 'target-group/missing-tg');
    assert.equal(error.action, 'RegisterTargets');
    assert.match(error.message, /TargetGroupNotFound/);
    return true;
  });
  // The others were registered anyway (and the balancers go on to find the instance healthy).
  await waitFor('the Classic ELB and the good group to report the instance in service', () => {
    const s = lb.status();
    return s.classic[0]?.instances[0]?.state === 'InService' && s.targetGroups[0]?.targets[0]?.state === 'healthy';
  }, 10_000);

  const summary = await handle.shutdown('test');
  assert.equal(summary.exitCode, EXIT_CODES.leaveFailed, 'a balancer not left is reported with its own exit code');
  assert.deepEqual(summary.balancers.filter((b) => !b.left).map((b) => b.label), ['target-group/missing-tg']);
  const left = lb.status();
  assert.ok(leftClassic(left), JSON.stringify(left.classic[0]?.instances));
  assert.equal(left.targetGroups[0]?.targets[0]?.state, 'draining');
  const failure = lines.find((l) => l.phase === 'deregister' && l.balancer === 'target-group/missing-tg');
  assert.ok(failure, 'the failed leave is logged with the group name');
  assert.equal(summary.drain, 'deadline', 'a balancer that could not be left is waited out (drainSeconds)');
  v2.destroy();
  classic.destroy();
});

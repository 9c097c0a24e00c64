import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegisterInstancesWithLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createGracefulElb } from '../src/gracefulElb.js';
import { NothingDiscoveredError } from '../src/balancers/errors.js';
import { defaultMembershipFile, readMemberships, writeMemberships } from '../src/membership.js';
import { captureLogger, fakeProcess } from './helpers/capture.js';
import { closeServer, recordingClients, startApp, startTgLocalElb } from './helpers/tgLocalElb.js';

// Discovery (`discover: true`): every Classic ELB and target group holding this instance, remembered in a state file
// and rejoined exactly after a restart.

const FAST = { probeIntervalMs: 50, pollIntervalMs: 100, quietMs: 300, graceMs: 1000, drainSeconds: 20, signals: [] as NodeJS.Signals[], exit: () => undefined };
const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/0123456789abcdef';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'graceful-elb-tg-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('membership file: written atomically, read back for the same instance only, anything odd ignored with a reason', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'nested', 'membership.json');
  assert.deepEqual(await readMemberships(file, 'i-1'), { kind: 'none' });
  const set = { elbNames: ['web'], targetGroups: [{ targetGroupArn: ARN, port: 3000 }] };
  await writeMemberships(file, 'i-1', set);
  assert.deepEqual(await readMemberships(file, 'i-1'), { kind: 'remembered', memberships: set });
  assert.deepEqual(await readdir(join(dir, 'nested')), ['membership.json'], 'no temporary file left behind');
  const other = await readMemberships(file, 'i-2');
  assert.equal(other.kind, 'ignored');
  assert.match(other.kind === 'ignored' ? other.reason : '', /belongs to instance i-1/);

  for (const [content, reason] of [
    ['{ not json', /not valid JSON/],
    ['{"version":2}', /version 1/],
    [JSON.stringify({ version: 1, instanceId: 'i-1', elbNames: [], targetGroups: [{ targetGroupArn: 'web-tg', port: 3000 }] }), /target group ARN/],
    [JSON.stringify({ version: 1, instanceId: 'i-1', elbNames: [], targetGroups: [{ targetGroupArn: ARN, port: 0 }] }), /port/],
  ] as const) {
    await writeFile(file, content);
    const read = await readMemberships(file, 'i-1');
    assert.equal(read.kind, 'ignored', content);
    assert.match(read.kind === 'ignored' ? read.reason : '', reason);
  }
  assert.equal(defaultMembershipFile('/srv/state', 3000), '/srv/state/membership-3000.json');
  assert.match(defaultMembershipFile(undefined, 8080), /graceful-elb.*membership-8080\.json$/);
});

test('discover: finds every Classic ELB and target group holding the instance (paged), remembers them, rejoins exactly that set after a restart', async (t) => {
  const id = 'i-0eeeeeeeeeeeeeee1';
  const dir = await tempDir(t);
  const stateFile = join(dir, 'membership.json');
  const app = await startApp('run-1');
  t.after(() => closeServer(app));
  const port = app.port;
  const { lb, arns } = await startTgLocalElb({ classic: true, groups: ['web-tg', 'api-tg', 'old-tg'], instances: { [id]: `127.0.0.1:${port}` } });
  t.after(() => lb.close());
  const { classic, v2, calls } = recordingClients(lb);
  t.after(() => (classic.destroy(), v2.destroy()));

  // More groups than one DescribeTargetGroups page (400) holds; the instance is in the last one (page 2), behind an ALB.
  const bulk: string[] = [];
  for (let batch = 0; batch < 405; batch += 45) {
    const created = await Promise.all(
      Array.from({ length: Math.min(45, 405 - batch) }, (_, i) =>
        v2.send(new CreateTargetGroupCommand({ Name: `bulk-${batch + i}`, Protocol: 'HTTP', Port: 3000, VpcId: 'vpc-0b0c0d0e', HealthCheckPath: '/ping', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 })),
      ),
    );
    bulk.push(...created.map((c) => c.TargetGroups![0]!.TargetGroupArn!));
  }
  const lastBulk = bulk[404]!;
  const alb = await v2.send(new CreateLoadBalancerCommand({ Name: 'bulk-alb', Subnets: ['subnet-0b0c0d01', 'subnet-0b0c0d02'] }));
  await v2.send(new CreateListenerCommand({ LoadBalancerArn: alb.LoadBalancers![0]!.LoadBalancerArn!, Port: 9090, DefaultActions: [{ Type: 'forward', TargetGroupArn: lastBulk }] }));

  // What the infrastructure did before the app ever ran: the instance is in web, web-tg, api-tg and the last bulk
  // group; it was in old-tg but is being deregistered from it (draining: not a membership); another instance sits in old-tg.
  await classic.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: id }] }));
  for (const arn of [arns['web-tg']!, arns['api-tg']!, lastBulk, arns['old-tg']!]) await v2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id, Port: port }] }));
  await v2.send(new RegisterTargetsCommand({ TargetGroupArn: arns['old-tg']!, Targets: [{ Id: 'i-0ffffffffffffff99', Port: port }] }));
  await v2.send(new DeregisterTargetsCommand({ TargetGroupArn: arns['old-tg']!, Targets: [{ Id: id, Port: port }] }));

  const expected = ['elb/web', 'target-group/api-tg', 'target-group/bulk-404', 'target-group/web-tg'];
  const first = captureLogger();
  calls.length = 0;
  const run1 = createGracefulElb({ server: app, discover: true, stateFile, instanceId: id, client: classic, elbv2Client: v2, logger: first.logger, ...FAST }, { env: { ...lb.env }, process: fakeProcess() });
  t.after(() => run1.close());
  const info1 = await run1.ready;
  assert.deepEqual([...info1.balancers].sort(), expected);
  assert.ok(calls.filter((c) => c.name === 'DescribeTargetGroups').length >= 2, 'DescribeTargetGroups was paged');
  const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { instanceId: string; elbNames: string[]; targetGroups: Array<{ targetGroupArn: string; port: number }> };
  assert.equal(saved.instanceId, id);
  assert.deepEqual(saved.elbNames, ['web']);
  assert.deepEqual(saved.targetGroups.map((g) => g.targetGroupArn).sort(), [arns['api-tg'], lastBulk, arns['web-tg']].sort());
  assert.ok(saved.targetGroups.every((g) => g.port === port));

  // The deploy: leave everything, stop; discovery alone would now find nothing (the instance is draining everywhere).
  const left = await run1.shutdown('deploy');
  assert.equal(left.exitCode, 0);
  const afterLeave = lb.status();
  assert.ok(afterLeave.targetGroups.flatMap((g) => g.targets).filter((x) => x.instanceId === id).every((x) => x.state === 'draining'));

  // The new process, same instance and port.
  const app2 = createServer((req, res) => void res.writeHead(req.url === '/ping' ? 200 : 200).end('run-2'));
  await new Promise<void>((resolve) => app2.listen(port, '127.0.0.1', resolve));
  t.after(() => closeServer(app2));
  const second = captureLogger();
  const run2 = createGracefulElb({ server: app2, discover: true, stateFile, instanceId: id, client: classic, elbv2Client: v2, logger: second.logger, ...FAST }, { env: { ...lb.env }, process: fakeProcess() });
  t.after(() => run2.close());
  const info2 = await run2.ready;
  assert.deepEqual([...info2.balancers].sort(), expected, 'rejoined exactly the remembered set');
  const discovered = second.lines.find((l) => l.phase === 'discover' && l.msg === 'balancers discovered') as unknown as { found: { elbNames: string[]; targetGroups: unknown[] } };
  assert.deepEqual(discovered.found, { elbNames: [], targetGroups: [] }, 'nothing was found: the set came from the file');
  const status = lb.status();
  const mine = (name: string): string[] => status.targetGroups.find((g) => g.name === name)!.targets.filter((x) => x.instanceId === id).map((x) => x.state);
  assert.deepEqual(mine('web-tg'), ['healthy']);
  assert.deepEqual(mine('api-tg'), ['healthy']);
  assert.deepEqual(mine('bulk-404'), ['healthy']);
  assert.deepEqual(mine('old-tg'), ['draining'], 'a group it was leaving before is not joined');
  assert.equal(status.classic[0]?.instances.find((i) => i.instanceId === id)?.state, 'InService');
  await run2.shutdown('done');
});

test('discover: nothing holds the instance and nothing is remembered → ready rejects with a coded error, no state file', async (t) => {
  const dir = await tempDir(t);
  const stateFile = join(dir, 'membership.json');
  const app = await startApp('lonely');
  t.after(() => closeServer(app));
  const { lb } = await startTgLocalElb({ classic: true });
  t.after(() => lb.close());
  const { classic, v2 } = recordingClients(lb);
  t.after(() => (classic.destroy(), v2.destroy()));
  const handle = createGracefulElb(
    { server: app, discover: true, stateFile, instanceId: 'i-0aaaaaaaaaaaaaa77', client: classic, elbv2Client: v2, logger: false, ...FAST },
    { env: { ...lb.env }, process: fakeProcess() },
  );
  t.after(() => handle.close());
  await assert.rejects(handle.ready, (error: unknown) => error instanceof NothingDiscoveredError && error.code === 'ERR_GRACEFUL_ELB_NOTHING_DISCOVERED' && error.stateFile === stateFile);
  assert.equal(handle.state, 'failed');
  await assert.rejects(readFile(stateFile), { code: 'ENOENT' });
});

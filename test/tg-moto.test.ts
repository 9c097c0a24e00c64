import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateLoadBalancerCommand as CreateClassicLoadBalancerCommand,
  DescribeLoadBalancersCommand as DescribeClassicLoadBalancersCommand,
  ElasticLoadBalancingClient,
  RegisterInstancesWithLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyLoadBalancerAttributesCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { createGracefulElb } from '../src/gracefulElb.js';
import { fakeProcess } from './helpers/capture.js';
import { motoAvailable, startMoto } from './helpers/moto.js';
import { closeServer, startApp } from './helpers/tgLocalElb.js';

// The library against moto_server's ELBv2 (and Classic, for discovery): a VPC, subnets and an EC2 instance created in
// moto, a target group behind an ALB; the library registers, moto reports the target healthy, the library
// deregisters, moto reports it gone. Skipped, saying why, only where moto_server is not installed (CI has it).

const available = motoAvailable();
const SKIP = available ? false : 'moto_server is not installed (pip install "moto[server]"); CI runs this test';
const REGION = 'us-east-1';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

let moto: Awaited<ReturnType<typeof startMoto>> | undefined;
let ec2: EC2Client;
let v2: ElasticLoadBalancingV2Client;
let classic: ElasticLoadBalancingClient;
let vpcId = '';
let subnets: string[] = [];

before(async () => {
  if (!available) return;
  moto = await startMoto();
  const config = { endpoint: moto.endpoint, region: REGION, credentials, maxAttempts: 1 };
  ec2 = new EC2Client(config);
  v2 = new ElasticLoadBalancingV2Client(config);
  classic = new ElasticLoadBalancingClient(config);
  vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  subnets = await Promise.all(
    ['a', 'b'].map(async (zone, i) => (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.0.${i}.0/24`, AvailabilityZone: `${REGION}${zone}` }))).Subnet!.SubnetId!),
  );
});

after(async () => {
  ec2?.destroy();
  v2?.destroy();
  classic?.destroy();
  await moto?.stop();
});

async function runInstance(): Promise<string> {
  const out = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', InstanceType: 't2.micro', MinCount: 1, MaxCount: 1, SubnetId: subnets[0] }));
  return out.Instances![0]!.InstanceId!;
}

async function targetGroupBehindAlb(name: string, idleTimeoutSeconds: number): Promise<string> {
  const tg = (await v2.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: vpcId, HealthCheckPath: '/ping' }))).TargetGroups![0]!.TargetGroupArn!;
  const lb = (await v2.send(new CreateLoadBalancerCommand({ Name: `${name}-alb`, Subnets: subnets }))).LoadBalancers![0]!.LoadBalancerArn!;
  await v2.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] }));
  await v2.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lb, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: String(idleTimeoutSeconds) }] }));
  return tg;
}

async function health(tg: string, id: string, port: number): Promise<{ State?: string; Reason?: string } | undefined> {
  const out = await v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg, Targets: [{ Id: id, Port: port }] }));
  return out.TargetHealthDescriptions?.[0]?.TargetHealth;
}

const FAST = { logger: false as const, drainSeconds: 10, quietMs: 300, graceMs: 1000, pollIntervalMs: 200, probeIntervalMs: 50, signals: [] as NodeJS.Signals[], exit: () => undefined };

test('moto ELBv2: the library registers a moto EC2 instance in a target group, moto says healthy, then deregisters it', { skip: SKIP }, async (t) => {
  const instanceId = await runInstance();
  const tg = await targetGroupBehindAlb('web-tg', 90);
  const app = await startApp('moto-app');
  t.after(() => closeServer(app));
  const handle = createGracefulElb({ server: app, targetGroupArn: tg, instanceId, elbv2Client: v2, ...FAST }, { env: { AWS_REGION: REGION }, process: fakeProcess() });
  t.after(() => handle.close());

  const info = await handle.ready;
  assert.deepEqual(info.balancers, ['target-group/web-tg']);
  assert.equal((await health(tg, instanceId, app.port))?.State, 'healthy', 'moto reports the target (instance, listening port) healthy');
  assert.equal(app.keepAliveTimeout, 95_000, "keep-alive above the ALB's idle_timeout read from moto");

  const summary = await handle.shutdown('test');
  assert.equal(summary.exitCode, 0);
  assert.equal(summary.drain, 'drained');
  const gone = await health(tg, instanceId, app.port);
  assert.equal(gone?.State, 'unused');
  assert.equal(gone?.Reason, 'Target.NotRegistered', 'moto no longer has the target');
});

test('moto discovery: finds the Classic ELB and the target group holding the instance, and rejoins them after a restart', { skip: SKIP }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'graceful-elb-moto-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const stateFile = join(dir, 'membership.json');
  const instanceId = await runInstance();
  const tg = await targetGroupBehindAlb('disc-tg', 60);
  await classic.send(new CreateClassicLoadBalancerCommand({ LoadBalancerName: 'disc', Listeners: [{ Protocol: 'HTTP', LoadBalancerPort: 80, InstancePort: 3000 }], Subnets: [subnets[0]!] }));
  const app = await startApp('moto-discovery');
  t.after(() => closeServer(app));
  // The infrastructure put the instance there before the app ran.
  await classic.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'disc', Instances: [{ InstanceId: instanceId }] }));
  await v2.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: instanceId, Port: app.port }] }));

  const options = { server: app, discover: true, stateFile, instanceId, client: classic, elbv2Client: v2, ...FAST };
  const first = createGracefulElb(options, { env: { AWS_REGION: REGION }, process: fakeProcess() });
  t.after(() => first.close());
  const joined = await first.ready;
  assert.deepEqual(joined.balancers, ['elb/disc', 'target-group/disc-tg']);
  assert.deepEqual(JSON.parse(await readFile(stateFile, 'utf8')).targetGroups, [{ targetGroupArn: tg, port: app.port }]);
  await first.shutdown('deploy');
  const classicAfter = await classic.send(new DescribeClassicLoadBalancersCommand({ LoadBalancerNames: ['disc'] }));
  assert.deepEqual(classicAfter.LoadBalancerDescriptions?.[0]?.Instances, [], 'left the Classic ELB');
  assert.equal((await health(tg, instanceId, app.port))?.State, 'unused', 'left the target group');

  // Restart (the same server object listens again on its port, the first handle gone): moto holds the instance
  // nowhere now; the file says where.
  first.close();
  await new Promise<void>((resolve) => app.listen(app.port, '127.0.0.1', resolve));
  const second = createGracefulElb(options, { env: { AWS_REGION: REGION }, process: fakeProcess() });
  t.after(() => second.close());
  const rejoined = await second.ready;
  assert.deepEqual(rejoined.balancers, joined.balancers);
  const classicBack = await classic.send(new DescribeClassicLoadBalancersCommand({ LoadBalancerNames: ['disc'] }));
  assert.deepEqual(classicBack.LoadBalancerDescriptions?.[0]?.Instances, [{ InstanceId: instanceId }]);
  assert.equal((await health(tg, instanceId, app.port))?.State, 'healthy');
  await second.shutdown('done');
});

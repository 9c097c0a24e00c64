import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as ec2 from '@aws-sdk/client-ec2';
import * as elb from '@aws-sdk/client-elastic-load-balancing';
import * as v2 from '@aws-sdk/client-elastic-load-balancing-v2';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import { freePort } from '../src/freePort.js';
import { waitFor } from '../../../test/helpers/waitFor.js';

// Differential test: the same request sequence to moto_server and to the local ELB, answers compared field by field
// where moto follows AWS. Where the local ELB deliberately differs, the test asserts both sides of the difference
// (so a change on either side is noticed); docs/local-elb.md lists each with the AWS documentation.

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
let moto: ChildProcess | undefined;
let motoEndpoint = '';
let motoMissing = '';
let lb: LocalElb;

type Observation = Record<string, unknown> & { error?: string; code?: string; status?: number };
type Observations = Record<string, Observation>;

before(async () => {
  lb = await startLocalElb({ config: {}, listenerPorts: 'ephemeral', logger: false });
  const port = await freePort();
  motoEndpoint = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve) => {
    const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    child.once('error', (err) => {
      motoMissing = `moto_server could not start (${err.message})`;
      resolve();
    });
    child.once('spawn', () => {
      moto = child;
      resolve();
    });
  });
  if (moto) {
    await waitFor('moto_server to answer', async () => {
      try {
        return (await fetch(`${motoEndpoint}/moto-api/`)).status > 0;
      } catch {
        return false;
      }
    }, 30_000, 100);
  }
});

after(async () => {
  moto?.kill('SIGTERM');
  await lb?.close();
});

/** The sequence, run against one endpoint; every answer (or error) recorded under a name. */
async function scenario(endpoint: string, instanceIds: string[], subnets: string[], vpcId: string): Promise<Observations> {
  const classic = new elb.ElasticLoadBalancingClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const albs = new v2.ElasticLoadBalancingV2Client({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const seen: Observations = {};
  const record = async (name: string, call: Promise<object>): Promise<Observation> => {
    try {
      const { $metadata: _m, ...rest } = (await call) as Record<string, unknown>;
      seen[name] = rest;
    } catch (err) {
      const e = err as Error & { Code?: string; $metadata?: { httpStatusCode?: number } };
      seen[name] = { error: e.name, code: e.Code, status: e.$metadata?.httpStatusCode };
    }
    return seen[name]!;
  };
  const listener = { Protocol: 'HTTP', LoadBalancerPort: 8080, InstanceProtocol: 'HTTP', InstancePort: 3000 };
  const [first, second] = instanceIds as [string, string];

  await record('classic.create', classic.send(new elb.CreateLoadBalancerCommand({ LoadBalancerName: 'diff-web', Listeners: [listener], AvailabilityZones: ['us-east-1a'] })));
  await record('classic.createDuplicate', classic.send(new elb.CreateLoadBalancerCommand({ LoadBalancerName: 'diff-web', Listeners: [{ ...listener, LoadBalancerPort: 8081 }], AvailabilityZones: ['us-east-1a'] })));
  await record('classic.describe', classic.send(new elb.DescribeLoadBalancersCommand({ LoadBalancerNames: ['diff-web'] })));
  await record('classic.describeMissing', classic.send(new elb.DescribeLoadBalancersCommand({ LoadBalancerNames: ['no-such-lb'] })));
  await record('classic.register', classic.send(new elb.RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'diff-web', Instances: [{ InstanceId: first }, { InstanceId: second }] })));
  await record('classic.registerMissing', classic.send(new elb.RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'no-such-lb', Instances: [{ InstanceId: first }] })));
  await record('classic.health', classic.send(new elb.DescribeInstanceHealthCommand({ LoadBalancerName: 'diff-web' })));
  await record('classic.healthMissing', classic.send(new elb.DescribeInstanceHealthCommand({ LoadBalancerName: 'no-such-lb' })));
  await record('classic.deregister', classic.send(new elb.DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: 'diff-web', Instances: [{ InstanceId: first }] })));
  await record('classic.healthDeregistered', classic.send(new elb.DescribeInstanceHealthCommand({ LoadBalancerName: 'diff-web', Instances: [{ InstanceId: first }] })));
  await record(
    'classic.configureHealthCheck',
    classic.send(new elb.ConfigureHealthCheckCommand({ LoadBalancerName: 'diff-web', HealthCheck: { Target: 'HTTP:3000/ping', Interval: 10, Timeout: 5, UnhealthyThreshold: 2, HealthyThreshold: 3 } })),
  );
  await record('classic.attributes', classic.send(new elb.DescribeLoadBalancerAttributesCommand({ LoadBalancerName: 'diff-web' })));
  await record(
    'classic.modifyAttributes',
    classic.send(new elb.ModifyLoadBalancerAttributesCommand({ LoadBalancerName: 'diff-web', LoadBalancerAttributes: { ConnectionDraining: { Enabled: true, Timeout: 30 }, ConnectionSettings: { IdleTimeout: 120 } } })),
  );
  await record('classic.attributesAfter', classic.send(new elb.DescribeLoadBalancerAttributesCommand({ LoadBalancerName: 'diff-web' })));
  await record('classic.delete', classic.send(new elb.DeleteLoadBalancerCommand({ LoadBalancerName: 'diff-web' })));
  await record('classic.deleteAgain', classic.send(new elb.DeleteLoadBalancerCommand({ LoadBalancerName: 'diff-web' })));

  const tg = await record('v2.createTargetGroup', albs.send(new v2.CreateTargetGroupCommand({ Name: 'diff-tg', Protocol: 'HTTP', Port: 3000, VpcId: vpcId })));
  const tgArn = (tg.TargetGroups as v2.TargetGroup[])[0]!.TargetGroupArn!;
  await record('v2.createTargetGroupDuplicate', albs.send(new v2.CreateTargetGroupCommand({ Name: 'diff-tg', Protocol: 'HTTP', Port: 3001, VpcId: vpcId })));
  const created = await record('v2.createLoadBalancer', albs.send(new v2.CreateLoadBalancerCommand({ Name: 'diff-alb', Subnets: subnets })));
  const lbArn = (created.LoadBalancers as v2.LoadBalancer[])[0]!.LoadBalancerArn!;
  await record('v2.createListener', albs.send(new v2.CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] })));
  await record('v2.describeListeners', albs.send(new v2.DescribeListenersCommand({ LoadBalancerArn: lbArn })));
  await record('v2.describeTargetGroupsOfLb', albs.send(new v2.DescribeTargetGroupsCommand({ LoadBalancerArn: lbArn })));
  await record('v2.register', albs.send(new v2.RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: first }, { Id: second }] })));
  await record('v2.registerNotAnInstance', albs.send(new v2.RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: 'not-an-instance' }] })));
  await record('v2.health', albs.send(new v2.DescribeTargetHealthCommand({ TargetGroupArn: tgArn, Targets: [{ Id: first }, { Id: second }] })));
  await record('v2.healthMissing', albs.send(new v2.DescribeTargetHealthCommand({ TargetGroupArn: `${tgArn}0` })));
  await record('v2.attributes', albs.send(new v2.DescribeTargetGroupAttributesCommand({ TargetGroupArn: tgArn })));
  await record('v2.modifyAttributes', albs.send(new v2.ModifyTargetGroupAttributesCommand({ TargetGroupArn: tgArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }] })));
  await record('v2.deregister', albs.send(new v2.DeregisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: first }] })));
  await record('v2.deregisterAgain', albs.send(new v2.DeregisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: first }] })));
  await record('v2.healthDeregistered', albs.send(new v2.DescribeTargetHealthCommand({ TargetGroupArn: tgArn, Targets: [{ Id: first }] })));
  await record('v2.loadBalancerAttributes', albs.send(new v2.DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn })));
  await record('v2.deleteTargetGroupInUse', albs.send(new v2.DeleteTargetGroupCommand({ TargetGroupArn: tgArn })));
  await record('v2.describeLoadBalancerMissing', albs.send(new v2.DescribeLoadBalancersCommand({ Names: ['no-such-lb'] })));
  await record('v2.describeTargetGroupMissing', albs.send(new v2.DescribeTargetGroupsCommand({ Names: ['no-such-tg'] })));
  await record('v2.deleteTargetGroupMissing', albs.send(new v2.DeleteTargetGroupCommand({ TargetGroupArn: tgArn.replace('diff-tg', 'gone-tg') })));
  seen.arns = { tgArn, lbArn };
  classic.destroy();
  albs.destroy();
  return seen;
}

let motoSeen: Observations;
let localSeen: Observations;
let ids: string[] = [];

test('the same sequence runs against moto_server and the local ELB', async (t) => {
  if (!moto) return t.skip(motoMissing || 'moto_server is not installed');
  // moto checks that instances and subnets exist: create them there, and use the same ids on both sides.
  const compute = new ec2.EC2Client({ endpoint: motoEndpoint, region: 'us-east-1', credentials });
  const image = (await compute.send(new ec2.DescribeImagesCommand({}))).Images?.[0]?.ImageId;
  const run = await compute.send(new ec2.RunInstancesCommand({ ImageId: image, MinCount: 2, MaxCount: 2 }));
  ids = run.Instances!.map((i) => i.InstanceId!);
  const subnets = (await compute.send(new ec2.DescribeSubnetsCommand({}))).Subnets!.slice(0, 2).map((s) => s.SubnetId!);
  const vpcId = (await compute.send(new ec2.DescribeVpcsCommand({}))).Vpcs![0]!.VpcId!;
  compute.destroy();
  motoSeen = await scenario(motoEndpoint, ids, subnets, vpcId);
  localSeen = await scenario(lb.endpoint, ids, subnets, vpcId);
  assert.equal(Object.keys(localSeen).length, Object.keys(motoSeen).length);
});

/** Both sides answered the same error code and HTTP status. */
function sameError(name: string): void {
  const [m, l] = [motoSeen[name]!, localSeen[name]!];
  assert.ok(m.code, `moto answered an error for ${name}: ${JSON.stringify(m)}`);
  assert.deepEqual({ code: l.code, status: l.status, error: l.error }, { code: m.code, status: m.status, error: m.error }, name);
}

function pick(value: unknown, keys: string[]): Record<string, unknown> {
  const source = value as Record<string, unknown>;
  return Object.fromEntries(keys.map((k) => [k, source[k]]));
}

test('where moto follows AWS, the answers agree field by field', (t) => {
  if (!motoSeen) return t.skip(motoMissing || 'moto_server is not installed');
  for (const name of ['classic.createDuplicate', 'classic.describeMissing', 'classic.healthMissing', 'v2.createTargetGroupDuplicate', 'v2.healthMissing', 'v2.deleteTargetGroupInUse', 'v2.describeLoadBalancerMissing', 'v2.describeTargetGroupMissing']) {
    sameError(name);
  }
  for (const side of [motoSeen, localSeen]) assert.match(String(side['classic.create']!.DNSName), /^diff-web.*\.us-east-1\.elb\.amazonaws\.com$/);

  const describedKeys = ['LoadBalancerName', 'ListenerDescriptions', 'Policies', 'BackendServerDescriptions', 'AvailabilityZones', 'Instances', 'Scheme'];
  const described = (s: Observations): unknown => pick((s['classic.describe']!.LoadBalancerDescriptions as unknown[])[0], describedKeys);
  assert.deepEqual(described(localSeen), described(motoSeen));
  assert.deepEqual(localSeen['classic.configureHealthCheck'], motoSeen['classic.configureHealthCheck']);
  const attributes = (s: Observations, name: string, keys: string[]): unknown => pick(s[name]!.LoadBalancerAttributes, keys);
  assert.deepEqual(attributes(localSeen, 'classic.attributes', ['CrossZoneLoadBalancing', 'AccessLog', 'ConnectionSettings']), attributes(motoSeen, 'classic.attributes', ['CrossZoneLoadBalancing', 'AccessLog', 'ConnectionSettings']));
  assert.deepEqual(attributes(localSeen, 'classic.attributesAfter', ['CrossZoneLoadBalancing', 'AccessLog', 'ConnectionDraining', 'ConnectionSettings']), attributes(motoSeen, 'classic.attributesAfter', ['CrossZoneLoadBalancing', 'AccessLog', 'ConnectionDraining', 'ConnectionSettings']));
  assert.deepEqual(localSeen['classic.delete'], motoSeen['classic.delete']);
  assert.deepEqual(localSeen['classic.deleteAgain'], {}, 'deleting a deleted Classic balancer succeeds on both');
  assert.deepEqual(motoSeen['classic.deleteAgain'], {});

  // A new ALB reads `provisioning` on both (AWS documents it; the local one turns `active` after provisioningMs),
  // with an ALB DNS name of the form name-N.REGION.elb.amazonaws.com and the VPC of its subnets.
  for (const side of [motoSeen, localSeen]) {
    const alb = (side['v2.createLoadBalancer']!.LoadBalancers as v2.LoadBalancer[])[0]!;
    assert.equal(alb.State?.Code, 'provisioning');
    assert.match(alb.DNSName ?? '', /^diff-alb-\d+\.us-east-1\.elb\.amazonaws\.com$/);
  }
  const albOf = (s: Observations): v2.LoadBalancer => (s['v2.createLoadBalancer']!.LoadBalancers as v2.LoadBalancer[])[0]!;
  assert.deepEqual(albOf(localSeen).AvailabilityZones?.map((z) => z.SubnetId), albOf(motoSeen).AvailabilityZones?.map((z) => z.SubnetId));

  const tgKeys = ['TargetGroupName', 'Protocol', 'Port', 'VpcId', 'HealthCheckProtocol', 'HealthCheckPort', 'HealthCheckEnabled', 'HealthCheckIntervalSeconds', 'HealthCheckTimeoutSeconds', 'HealthyThresholdCount', 'UnhealthyThresholdCount', 'HealthCheckPath', 'Matcher', 'TargetType', 'ProtocolVersion', 'IpAddressType'];
  const group = (s: Observations, name: string): unknown => pick((s[name]!.TargetGroups as unknown[])[0], tgKeys);
  assert.deepEqual(group(localSeen, 'v2.createTargetGroup'), group(motoSeen, 'v2.createTargetGroup'), 'AWS defaults for an API-created target group');
  assert.deepEqual(group(localSeen, 'v2.describeTargetGroupsOfLb'), group(motoSeen, 'v2.describeTargetGroupsOfLb'));
  for (const side of [motoSeen, localSeen]) {
    const arns = side.arns as { tgArn: string; lbArn: string };
    assert.deepEqual((side['v2.describeTargetGroupsOfLb']!.TargetGroups as v2.TargetGroup[])[0]!.LoadBalancerArns, [arns.lbArn]);
    const created = (side['v2.createListener']!.Listeners as v2.Listener[])[0]!;
    assert.deepEqual(pick(created, ['Port', 'Protocol', 'LoadBalancerArn']), { Port: 80, Protocol: 'HTTP', LoadBalancerArn: arns.lbArn });
    assert.deepEqual(pick(created.DefaultActions![0], ['Type', 'TargetGroupArn']), { Type: 'forward', TargetGroupArn: arns.tgArn });
    assert.equal((side['v2.describeListeners']!.Listeners as v2.Listener[])[0]!.ListenerArn, created.ListenerArn);
    assert.match(arns.tgArn, /^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup\/diff-tg\/[0-9a-f]{16}$/);
    assert.match(arns.lbArn, /^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/app\/diff-alb\/[0-9a-f]{16}$/);
    const attrs = new Map((side['v2.attributes']!.Attributes as v2.TargetGroupAttribute[]).map((a) => [a.Key, a.Value]));
    assert.equal(attrs.get('deregistration_delay.timeout_seconds'), '300');
    assert.equal(attrs.get('stickiness.enabled'), 'false');
    const modified = new Map((side['v2.modifyAttributes']!.Attributes as v2.TargetGroupAttribute[]).map((a) => [a.Key, a.Value]));
    assert.equal(modified.get('deregistration_delay.timeout_seconds'), '30');
    assert.deepEqual(side['v2.register'], {});
    assert.deepEqual(side['v2.deregister'], {});
    const health = side['v2.health']!.TargetHealthDescriptions as v2.TargetHealthDescription[];
    assert.deepEqual(health.map((h) => h.Target), ids.map((Id) => ({ Id, Port: 3000 })));
  }
});

test('deliberate differences, each as AWS documents it (see docs/local-elb.md)', (t) => {
  if (!motoSeen) return t.skip(motoMissing || 'moto_server is not installed');
  const [first, second] = ids as [string, string];
  // RegisterInstances answers "the updated list of instances"; Deregister "the remaining instances".
  assert.deepEqual(motoSeen['classic.register']!.Instances, []);
  assert.deepEqual(localSeen['classic.register']!.Instances, [{ InstanceId: first }, { InstanceId: second }]);
  assert.deepEqual(motoSeen['classic.deregister']!.Instances, []);
  assert.deepEqual(localSeen['classic.deregister']!.Instances, [{ InstanceId: second }]);
  // Unknown balancer on RegisterInstances: AWS lists LoadBalancerNotFound; moto answers a 500 HTML page.
  assert.equal(motoSeen['classic.registerMissing']!.status, 500);
  assert.equal(localSeen['classic.registerMissing']!.code, 'LoadBalancerNotFound');
  // No health checks in moto: it reports InService at once; AWS waits for HealthyThreshold passes.
  assert.deepEqual((motoSeen['classic.health']!.InstanceStates as elb.InstanceState[]).map((s) => s.State), ['InService', 'InService']);
  assert.deepEqual((localSeen['classic.health']!.InstanceStates as elb.InstanceState[]).map((s) => s.State), ['OutOfService', 'OutOfService']);
  // An instance no longer registered: moto "Unknown"; AWS documents "Instance is not currently registered with the LoadBalancer."
  assert.equal((motoSeen['classic.healthDeregistered']!.InstanceStates as elb.InstanceState[])[0]!.State, 'Unknown');
  assert.deepEqual((localSeen['classic.healthDeregistered']!.InstanceStates as elb.InstanceState[])[0], {
    InstanceId: first,
    State: 'OutOfService',
    ReasonCode: 'N/A',
    Description: 'Instance is not currently registered with the LoadBalancer.',
  });
  // The HealthCheck of a new Classic balancer: moto leaves it out; AWS sets a TCP check on the instance port.
  assert.equal((motoSeen['classic.describe']!.LoadBalancerDescriptions as elb.LoadBalancerDescription[])[0]!.HealthCheck, undefined);
  assert.deepEqual((localSeen['classic.describe']!.LoadBalancerDescriptions as elb.LoadBalancerDescription[])[0]!.HealthCheck, {
    Target: 'TCP:3000',
    Interval: 30,
    Timeout: 5,
    UnhealthyThreshold: 2,
    HealthyThreshold: 10,
  });
  // ModifyLoadBalancerAttributes answers the attributes it was given (AWS CLI reference example); moto all of them.
  assert.ok((motoSeen['classic.modifyAttributes']!.LoadBalancerAttributes as elb.LoadBalancerAttributes).AccessLog);
  assert.deepEqual(localSeen['classic.modifyAttributes']!.LoadBalancerAttributes, { ConnectionDraining: { Enabled: true, Timeout: 30 }, ConnectionSettings: { IdleTimeout: 120 } });

  // Target ids are validated: AWS answers InvalidTarget for an id that is no instance; moto registers it.
  assert.deepEqual(motoSeen['v2.registerNotAnInstance'], {});
  assert.equal(localSeen['v2.registerNotAnInstance']!.code, 'InvalidTarget');
  // Targets start `initial` until health checks pass (moto: healthy at once); HealthCheckPort is the port, not "traffic-port".
  const motoHealth = motoSeen['v2.health']!.TargetHealthDescriptions as v2.TargetHealthDescription[];
  const localHealth = localSeen['v2.health']!.TargetHealthDescriptions as v2.TargetHealthDescription[];
  assert.deepEqual(motoHealth.map((h) => [h.TargetHealth?.State, h.HealthCheckPort]), [['healthy', 'traffic-port'], ['healthy', 'traffic-port']]);
  assert.deepEqual(localHealth.map((h) => [h.TargetHealth?.State, h.HealthCheckPort]), [['initial', '3000'], ['initial', '3000']]);
  // Deregistering a target that is not registered: AWS answers 200 and does nothing; moto InvalidTarget.
  assert.equal(motoSeen['v2.deregisterAgain']!.code, 'InvalidTarget');
  assert.deepEqual(localSeen['v2.deregisterAgain'], {});
  // After DeregisterTargets a target reads `draining` for the deregistration delay; moto drops it at once (`unused`).
  assert.equal((motoSeen['v2.healthDeregistered']!.TargetHealthDescriptions as v2.TargetHealthDescription[])[0]?.TargetHealth?.State, 'unused');
  assert.equal((localSeen['v2.healthDeregistered']!.TargetHealthDescriptions as v2.TargetHealthDescription[])[0]?.TargetHealth?.State, 'draining');
  // An ALB has idle_timeout.timeout_seconds (default 60); moto leaves it out.
  const idle = (s: Observations): string | undefined => (s['v2.loadBalancerAttributes']!.Attributes as v2.LoadBalancerAttribute[]).find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value;
  assert.equal(idle(motoSeen), undefined);
  assert.equal(idle(localSeen), '60');
  // DeleteTargetGroup lists only ResourceInUse as an error: deleting a missing group succeeds; moto TargetGroupNotFound.
  assert.equal(motoSeen['v2.deleteTargetGroupMissing']!.code, 'TargetGroupNotFound');
  assert.deepEqual(localSeen['v2.deleteTargetGroupMissing'], {});
});

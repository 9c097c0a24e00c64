import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as elb from '@aws-sdk/client-elastic-load-balancing';
import * as v2 from '@aws-sdk/client-elastic-load-balancing-v2';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import { clientsFor, rawCall } from './mock-helpers.js';
import { waitFor } from '../../../test/helpers/waitFor.js';

// The local ELB answers as AWS does, item by item of issue 13: inputs AWS accepts and refuses, the documented
// attribute sets per balancer and target-group type, tags everywhere, deletion protection, provisioning → active,
// scheme and DNS names, subnets / security groups / VPC, and the Classic operations added with them.

let lb: LocalElb;
let classic: elb.ElasticLoadBalancingClient;
let albs: v2.ElasticLoadBalancingV2Client;
const VPC = 'vpc-0f1d0000';
const SUBNETS = ['subnet-0f1d0001', 'subnet-0f1d0002'];

before(async () => {
  lb = await startLocalElb({ config: {}, listenerPorts: 'ephemeral', logger: false, provisioningMs: 300 });
  ({ classic, v2: albs } = clientsFor(lb));
});

after(async () => {
  classic.destroy();
  albs.destroy();
  await lb.close();
});

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    const e = err as { Code?: string; name: string; $metadata?: { httpStatusCode?: number } };
    return `${e.Code ?? e.name} ${e.$metadata?.httpStatusCode}`;
  }
}

const http = { Protocol: 'HTTP', LoadBalancerPort: 8200, InstanceProtocol: 'HTTP', InstancePort: 3000 };

test('Classic inputs: any port in a VPC; zones or subnets required; a layer-7 front end needs a layer-7 back end', async () => {
  assert.equal(await code(classic.send(new elb.CreateLoadBalancerCommand({ LoadBalancerName: 'p81', Listeners: [{ ...http, LoadBalancerPort: 81 }], AvailabilityZones: ['us-east-1a'] }))), 'ok');
  assert.equal(await code(classic.send(new elb.CreateLoadBalancerCommand({ LoadBalancerName: 'p22', Listeners: [{ Protocol: 'TCP', LoadBalancerPort: 22, InstanceProtocol: 'TCP', InstancePort: 22 }], Subnets: SUBNETS }))), 'ok');
  assert.equal(await code(classic.send(new elb.CreateLoadBalancerCommand({ LoadBalancerName: 'nowhere', Listeners: [http] }))), 'ValidationError 400');
  assert.equal(await code(classic.send(new elb.CreateLoadBalancerCommand({ LoadBalancerName: 'mixed', Listeners: [{ ...http, InstanceProtocol: 'TCP' }], AvailabilityZones: ['us-east-1a'] }))), 'InvalidConfigurationRequest 409');
  assert.equal(await code(classic.send(new elb.CreateLoadBalancerCommand({ LoadBalancerName: 'bad-zone', Listeners: [http], AvailabilityZones: ['eu-west-1a'] }))), 'ValidationError 400');
});

test('Classic: Scheme internal reads back with the internal- DNS prefix; subnets, security groups and VPC are reflected; tags on create', async () => {
  const { DNSName } = await classic.send(
    new elb.CreateLoadBalancerCommand({ LoadBalancerName: 'inner', Listeners: [http], Subnets: SUBNETS, SecurityGroups: ['sg-0f1d0001'], Scheme: 'internal', Tags: [{ Key: 'team', Value: 'core' }] }),
  );
  assert.match(DNSName!, /^internal-inner-\d+\.us-east-1\.elb\.amazonaws\.com$/);
  const [d] = (await classic.send(new elb.DescribeLoadBalancersCommand({ LoadBalancerNames: ['inner'] }))).LoadBalancerDescriptions!;
  assert.equal(d!.Scheme, 'internal');
  assert.deepEqual(d!.Subnets, SUBNETS);
  assert.deepEqual(d!.SecurityGroups, ['sg-0f1d0001']);
  assert.match(d!.VPCId ?? '', /^vpc-[0-9a-f]{17}$/);
  assert.equal(new Set(d!.AvailabilityZones).size, 2, `two subnets, two zones: ${d!.AvailabilityZones?.join(',')}`);
  const [tags] = (await classic.send(new elb.DescribeTagsCommand({ LoadBalancerNames: ['inner'] }))).TagDescriptions!;
  assert.deepEqual(tags!.Tags, [{ Key: 'team', Value: 'core' }]);
  await classic.send(new elb.AddTagsCommand({ LoadBalancerNames: ['inner'], Tags: [{ Key: 'env', Value: 'dev' }] }));
  await classic.send(new elb.RemoveTagsCommand({ LoadBalancerNames: ['inner'], Tags: [{ Key: 'team' }] }));
  const [after] = (await classic.send(new elb.DescribeTagsCommand({ LoadBalancerNames: ['inner'] }))).TagDescriptions!;
  assert.deepEqual(after!.Tags, [{ Key: 'env', Value: 'dev' }]);
  const [zoned] = (await classic.send(new elb.DescribeLoadBalancersCommand({ LoadBalancerNames: ['p81'] }))).LoadBalancerDescriptions!;
  assert.deepEqual([zoned!.Scheme, zoned!.Subnets, zoned!.VPCId], ['internet-facing', [], undefined]);
});

test('Classic listeners, zones and subnets change through the API, and the data plane follows', async () => {
  await classic.send(new elb.CreateLoadBalancerListenersCommand({ LoadBalancerName: 'p81', Listeners: [{ ...http, LoadBalancerPort: 8201 }] }));
  assert.ok(lb.listeners.some((l) => l.balancer === 'p81' && l.declaredPort === 8201), 'the new listener is served');
  assert.equal(await code(classic.send(new elb.CreateLoadBalancerListenersCommand({ LoadBalancerName: 'p81', Listeners: [{ ...http, LoadBalancerPort: 8201, InstancePort: 4000 }] }))), 'DuplicateListener 400');
  await classic.send(new elb.DeleteLoadBalancerListenersCommand({ LoadBalancerName: 'p81', LoadBalancerPorts: [8201] }));
  assert.ok(!lb.listeners.some((l) => l.balancer === 'p81' && l.declaredPort === 8201), 'and stopped');
  const enabled = await classic.send(new elb.EnableAvailabilityZonesForLoadBalancerCommand({ LoadBalancerName: 'p81', AvailabilityZones: ['us-east-1c'] }));
  assert.deepEqual(enabled.AvailabilityZones, ['us-east-1a', 'us-east-1c']);
  const disabled = await classic.send(new elb.DisableAvailabilityZonesForLoadBalancerCommand({ LoadBalancerName: 'p81', AvailabilityZones: ['us-east-1a'] }));
  assert.deepEqual(disabled.AvailabilityZones, ['us-east-1c']);
  assert.equal(await code(classic.send(new elb.DisableAvailabilityZonesForLoadBalancerCommand({ LoadBalancerName: 'p81', AvailabilityZones: ['us-east-1c'] }))), 'InvalidConfigurationRequest 409');
  const attached = await classic.send(new elb.AttachLoadBalancerToSubnetsCommand({ LoadBalancerName: 'inner', Subnets: ['subnet-0f1d0003'] }));
  assert.deepEqual(attached.Subnets, [...SUBNETS, 'subnet-0f1d0003']);
  const limits = await classic.send(new elb.DescribeAccountLimitsCommand({}));
  assert.deepEqual(limits.Limits?.map((l) => l.Name), ['classic-load-balancers', 'classic-listeners', 'classic-registered-instances']);
});

test('ELBv2 inputs: an ALB needs two subnets; instance groups need a VPC and cannot turn health checks off', async () => {
  assert.equal(await code(albs.send(new v2.CreateLoadBalancerCommand({ Name: 'no-subnets' }))), 'ValidationError 400');
  assert.equal(await code(albs.send(new v2.CreateLoadBalancerCommand({ Name: 'one-subnet', Subnets: SUBNETS.slice(0, 1) }))), 'ValidationError 400');
  assert.equal(await code(albs.send(new v2.CreateLoadBalancerCommand({ Name: 'nlb-one', Type: 'network', Subnets: SUBNETS.slice(0, 1) }))), 'ok');
  assert.equal(await code(albs.send(new v2.CreateTargetGroupCommand({ Name: 'no-vpc', Protocol: 'HTTP', Port: 80 }))), 'ValidationError 400');
  assert.equal(await code(albs.send(new v2.CreateTargetGroupCommand({ Name: 'no-checks', Protocol: 'HTTP', Port: 80, VpcId: VPC, HealthCheckEnabled: false }))), 'ValidationError 400');
});

test('ELBv2: provisioning → active, ALB and internal NLB DNS forms, subnets / security groups / VPC reflected and settable', async () => {
  const [alb] = (await albs.send(new v2.CreateLoadBalancerCommand({ Name: 'shape-alb', Subnets: SUBNETS, Tags: [{ Key: 'team', Value: 'web' }] }))).LoadBalancers!;
  assert.equal(alb!.State?.Code, 'provisioning');
  assert.match(alb!.DNSName!, /^shape-alb-\d+\.us-east-1\.elb\.amazonaws\.com$/);
  assert.deepEqual(alb!.AvailabilityZones?.map((z) => z.SubnetId), SUBNETS);
  assert.equal(new Set(alb!.AvailabilityZones?.map((z) => z.ZoneName)).size, 2);
  assert.equal(alb!.SecurityGroups?.length, 1, 'an ALB gets the VPC default security group when none is given');
  assert.match(alb!.VpcId!, /^vpc-[0-9a-f]{17}$/);
  await waitFor('active', async () => (await albs.send(new v2.DescribeLoadBalancersCommand({ Names: ['shape-alb'] }))).LoadBalancers?.[0]?.State?.Code === 'active', 10_000);
  const [nlb] = (await albs.send(new v2.CreateLoadBalancerCommand({ Name: 'shape-nlb', Type: 'network', Scheme: 'internal', Subnets: SUBNETS }))).LoadBalancers!;
  assert.match(nlb!.DNSName!, /^internal-shape-nlb-[0-9a-f]{16}\.elb\.us-east-1\.amazonaws\.com$/);
  assert.equal(nlb!.SecurityGroups, undefined, 'an NLB created without security groups has none');
  const set = await albs.send(new v2.SetSecurityGroupsCommand({ LoadBalancerArn: alb!.LoadBalancerArn, SecurityGroups: ['sg-0f1d0002', 'sg-0f1d0003'] }));
  assert.deepEqual(set.SecurityGroupIds, ['sg-0f1d0002', 'sg-0f1d0003']);
  const subnets = await albs.send(new v2.SetSubnetsCommand({ LoadBalancerArn: alb!.LoadBalancerArn, Subnets: [...SUBNETS, 'subnet-0f1d0004'] }));
  assert.equal(subnets.AvailabilityZones?.length, 3);
  const [after] = (await albs.send(new v2.DescribeLoadBalancersCommand({ Names: ['shape-alb'] }))).LoadBalancers!;
  assert.deepEqual(after!.SecurityGroups, ['sg-0f1d0002', 'sg-0f1d0003']);
  const limits = await albs.send(new v2.DescribeAccountLimitsCommand({}));
  assert.ok(limits.Limits?.some((l) => l.Name === 'rules-per-application-load-balancer' && l.Max === '100'));
});

test('ELBv2 attributes: the documented set of each balancer and group type, with value checks; deletion protection', async () => {
  const keys = async (arn: string, kind: 'lb' | 'tg'): Promise<Map<string, string>> => {
    const out = kind === 'lb' ? await albs.send(new v2.DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn })) : await albs.send(new v2.DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }));
    return new Map(out.Attributes!.map((a) => [a.Key!, a.Value!]));
  };
  const [alb] = (await albs.send(new v2.DescribeLoadBalancersCommand({ Names: ['shape-alb'] }))).LoadBalancers!;
  const [nlb] = (await albs.send(new v2.DescribeLoadBalancersCommand({ Names: ['shape-nlb'] }))).LoadBalancers!;
  const albAttrs = await keys(alb!.LoadBalancerArn!, 'lb');
  const nlbAttrs = await keys(nlb!.LoadBalancerArn!, 'lb');
  assert.equal(albAttrs.size, 23, [...albAttrs.keys()].join());
  assert.equal(nlbAttrs.size, 9, [...nlbAttrs.keys()].join());
  assert.equal(albAttrs.get('client_keep_alive.seconds'), '3600');
  assert.equal(albAttrs.get('routing.http.xff_header_processing.mode'), 'append');
  assert.equal(albAttrs.get('load_balancing.cross_zone.enabled'), 'true');
  assert.equal(nlbAttrs.get('load_balancing.cross_zone.enabled'), 'false');
  assert.equal(nlbAttrs.get('ipv6.deny_all_igw_traffic'), 'true', 'internal: IGW traffic denied');
  assert.equal(nlbAttrs.has('idle_timeout.timeout_seconds'), false);

  const [http] = (await albs.send(new v2.CreateTargetGroupCommand({ Name: 'attr-http', Protocol: 'HTTP', Port: 80, VpcId: VPC }))).TargetGroups!;
  const [tcp] = (await albs.send(new v2.CreateTargetGroupCommand({ Name: 'attr-tcp', Protocol: 'TCP', Port: 80, VpcId: VPC }))).TargetGroups!;
  const httpAttrs = await keys(http!.TargetGroupArn!, 'tg');
  const tcpAttrs = await keys(tcp!.TargetGroupArn!, 'tg');
  assert.equal(httpAttrs.size, 14, [...httpAttrs.keys()].join());
  assert.equal(tcpAttrs.size, 13, [...tcpAttrs.keys()].join());
  assert.equal(httpAttrs.get('stickiness.app_cookie.duration_seconds'), '86400');
  assert.equal(tcpAttrs.get('stickiness.type'), 'source_ip', 'a TCP group has the NLB set, not the ALB one');
  assert.equal(tcpAttrs.get('preserve_client_ip.enabled'), 'true');
  assert.equal(tcpAttrs.has('slow_start.duration_seconds'), false);

  const modifyTg = (arn: string, Key: string, Value: string) => code(albs.send(new v2.ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key, Value }] })));
  const modifyLb = (arn: string, Key: string, Value: string) => code(albs.send(new v2.ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes: [{ Key, Value }] })));
  assert.equal(await modifyTg(http!.TargetGroupArn!, 'stickiness.type', 'bogus'), 'ValidationError 400');
  assert.equal(await modifyTg(http!.TargetGroupArn!, 'load_balancing.algorithm.type', 'bogus'), 'ValidationError 400');
  assert.equal(await modifyTg(http!.TargetGroupArn!, 'stickiness.lb_cookie.duration_seconds', '0'), 'ValidationError 400');
  assert.equal(await modifyTg(http!.TargetGroupArn!, 'load_balancing.cross_zone.enabled', 'use_load_balancer_configuration'), 'ok');
  assert.equal(await modifyTg(tcp!.TargetGroupArn!, 'deregistration_delay.connection_termination.enabled', 'true'), 'ok');
  assert.equal(await modifyTg(tcp!.TargetGroupArn!, 'stickiness.type', 'lb_cookie'), 'ValidationError 400');
  assert.equal(await modifyLb(alb!.LoadBalancerArn!, 'routing.http2.enabled', 'bogus'), 'ValidationError 400');
  assert.equal(await modifyLb(alb!.LoadBalancerArn!, 'access_logs.s3.enabled', 'true'), 'InvalidConfigurationRequest 400');
  assert.equal(await modifyLb(alb!.LoadBalancerArn!, 'routing.http.xff_header_processing.mode', 'remove'), 'ok');
  assert.equal(await modifyLb(nlb!.LoadBalancerArn!, 'dns_record.client_routing_policy', 'availability_zone_affinity'), 'ok');

  assert.equal(await modifyLb(alb!.LoadBalancerArn!, 'deletion_protection.enabled', 'true'), 'ok');
  assert.equal(await code(albs.send(new v2.DeleteLoadBalancerCommand({ LoadBalancerArn: alb!.LoadBalancerArn }))), 'OperationNotPermitted 400');
  assert.equal(await modifyLb(alb!.LoadBalancerArn!, 'deletion_protection.enabled', 'false'), 'ok');
  assert.equal(await code(albs.send(new v2.DeleteLoadBalancerCommand({ LoadBalancerArn: alb!.LoadBalancerArn }))), 'ok');
});

test('ELBv2 tags on create and Add/Remove/DescribeTags for balancers, target groups, listeners and rules', async () => {
  const [alb] = (await albs.send(new v2.CreateLoadBalancerCommand({ Name: 'tag-alb', Subnets: SUBNETS, Tags: [{ Key: 'team', Value: 'web' }] }))).LoadBalancers!;
  const [tg] = (await albs.send(new v2.CreateTargetGroupCommand({ Name: 'tag-tg', Protocol: 'HTTP', Port: 80, VpcId: VPC, Tags: [{ Key: 'team', Value: 'web' }] }))).TargetGroups!;
  const forward = [{ Type: 'forward' as const, TargetGroupArn: tg!.TargetGroupArn }];
  const [listener] = (await albs.send(new v2.CreateListenerCommand({ LoadBalancerArn: alb!.LoadBalancerArn, Protocol: 'HTTP', Port: 8210, DefaultActions: forward, Tags: [{ Key: 'team', Value: 'web' }] }))).Listeners!;
  const [rule] = (await albs.send(new v2.CreateRuleCommand({ ListenerArn: listener!.ListenerArn, Priority: 1, Conditions: [{ Field: 'path-pattern', Values: ['/x'] }], Actions: forward, Tags: [{ Key: 'team', Value: 'web' }] }))).Rules!;
  const arns = [alb!.LoadBalancerArn!, tg!.TargetGroupArn!, listener!.ListenerArn!, rule!.RuleArn!];
  const described = await albs.send(new v2.DescribeTagsCommand({ ResourceArns: arns }));
  assert.deepEqual(described.TagDescriptions?.map((d) => [d.ResourceArn, d.Tags]), arns.map((arn) => [arn, [{ Key: 'team', Value: 'web' }]]));
  await albs.send(new v2.AddTagsCommand({ ResourceArns: arns, Tags: [{ Key: 'env', Value: 'dev' }] }));
  await albs.send(new v2.RemoveTagsCommand({ ResourceArns: arns, TagKeys: ['team'] }));
  const after = await albs.send(new v2.DescribeTagsCommand({ ResourceArns: arns }));
  for (const d of after.TagDescriptions!) assert.deepEqual(d.Tags, [{ Key: 'env', Value: 'dev' }]);
  assert.equal(await code(albs.send(new v2.AddTagsCommand({ ResourceArns: [alb!.LoadBalancerArn!], Tags: [{ Key: 'aws:x', Value: '1' }] }))), 'ValidationError 400');
});

test('operations still not implemented answer InvalidAction, as before', async () => {
  for (const [action, version] of [['SetIpAddressType', '2015-12-01'], ['CreateLBCookieStickinessPolicy', '2012-06-01'], ['DescribeSSLPolicies', '2015-12-01']]) {
    const { status, text } = await rawCall(lb.endpoint, `Action=${action}&Version=${version}`);
    assert.equal(status, 400);
    assert.match(text, /<Code>InvalidAction<\/Code>/);
  }
});

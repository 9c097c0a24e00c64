import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigureHealthCheckCommand,
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DeregisterInstancesFromLoadBalancerCommand,
  DescribeInstanceHealthCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  ModifyLoadBalancerAttributesCommand,
  RegisterInstancesWithLoadBalancerCommand,
  type ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import { clientsFor, rawCall, startBackend, type Backend } from './mock-helpers.js';
import { waitFor } from '../../../test/helpers/waitFor.js';

// The Classic ELB API (2012-06-01) through the real @aws-sdk/client-elastic-load-balancing: every action,
// success and error, as the SDK sees them (error names are the SDK's, codes are the wire's).

let lb: LocalElb;
let elb: ElasticLoadBalancingClient;
let backend: Backend;

before(async () => {
  backend = await startBackend('a');
  lb = await startLocalElb({ listenerPorts: 'ephemeral', logger: false, instances: { 'i-0aaa0000000000001': backend.address } });
  elb = clientsFor(lb).classic;
});

after(async () => {
  elb.destroy();
  await lb.close();
  await backend.close();
});

const listener = { Protocol: 'HTTP', LoadBalancerPort: 8090, InstanceProtocol: 'HTTP', InstancePort: 3000 };

async function rejects(promise: Promise<unknown>, name: string, code: string, message?: RegExp, status = 400): Promise<void> {
  await assert.rejects(promise, (err: Error & { Code?: string; $metadata?: { httpStatusCode?: number; requestId?: string } }) => {
    assert.equal(err.name, name);
    assert.equal(err.Code ?? err.name, code);
    assert.equal(err.$metadata?.httpStatusCode, status);
    assert.ok(err.$metadata?.requestId, 'the request id reaches the SDK (x-amzn-RequestId header)');
    if (message) assert.match(err.message, message);
    return true;
  });
}

test('CreateLoadBalancer: creates, serves the listener, and rejects clashes and bad input', async () => {
  const created = await elb.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'api-a', Listeners: [listener], AvailabilityZones: ['us-east-1a'] }));
  assert.match(created.DNSName ?? '', /^api-a-\d+\.us-east-1\.elb\.amazonaws\.com$/);
  assert.ok(lb.listeners.some((l) => l.balancer === 'api-a' && l.declaredPort === 8090 && l.port > 0), 'the new listener is served before the call answers');

  await rejects(
    elb.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'api-a', Listeners: [{ ...listener, LoadBalancerPort: 8091 }] , AvailabilityZones: ['us-east-1a'] })),
    'DuplicateAccessPointNameException',
    'DuplicateLoadBalancerName',
  );
  await rejects(elb.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'web-alb', Listeners: [listener] , AvailabilityZones: ['us-east-1a'] })), 'DuplicateAccessPointNameException', 'DuplicateLoadBalancerName', /web-alb/);
  await rejects(elb.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'bad_name', Listeners: [listener] , AvailabilityZones: ['us-east-1a'] })), 'ValidationError', 'ValidationError', /loadBalancerName/);
  await rejects(elb.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'api-b', Listeners: undefined as never })), 'ValidationError', 'ValidationError', /listeners/);
  // In a VPC any front-end port is allowed (the 25/80/443/465/587/1024+ rule was EC2-Classic's).
  const port81 = await elb.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'api-81', Listeners: [{ ...listener, LoadBalancerPort: 81 }], AvailabilityZones: ['us-east-1a'] }));
  assert.match(port81.DNSName ?? '', /^api-81-/);
  await rejects(
    elb.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'api-b', Listeners: [{ ...listener, InstanceProtocol: 'TCP' }], AvailabilityZones: ['us-east-1a'] })),
    'InvalidConfigurationRequestException',
    'InvalidConfigurationRequest',
    /HTTP and instance protocol TCP/,
    409,
  );
  await rejects(elb.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'api-b', Listeners: [listener] })), 'ValidationError', 'ValidationError', /AvailabilityZones or Subnets/);
  await rejects(
    elb.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'api-b', Listeners: [listener, listener] })),
    'DuplicateListenerException',
    'DuplicateListener',
  );
  await rejects(
    elb.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'api-b', Listeners: [{ ...listener, Protocol: 'HTTPS', SSLCertificateId: 'arn:cert' }] })),
    'UnsupportedProtocolException',
    'UnsupportedProtocol',
  );
});

test('CreateLoadBalancer through the API uses AWS defaults (TCP check on the instance port, draining off)', async () => {
  await elb.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'api-defaults', Listeners: [{ ...listener, LoadBalancerPort: 8092, InstancePort: 4000 }] , AvailabilityZones: ['us-east-1a'] }));
  const [described] = (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: ['api-defaults'] }))).LoadBalancerDescriptions ?? [];
  assert.deepEqual(described?.HealthCheck, { Target: 'TCP:4000', Interval: 30, Timeout: 5, UnhealthyThreshold: 2, HealthyThreshold: 10 });
  const attrs = await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerName: 'api-defaults' }));
  assert.deepEqual(attrs.LoadBalancerAttributes?.ConnectionDraining, { Enabled: false, Timeout: 300 });
  assert.deepEqual(attrs.LoadBalancerAttributes?.ConnectionSettings, { IdleTimeout: 60 });
});

test('DescribeLoadBalancers: all, by name, paged with Marker/PageSize; unknown name and bad marker fail', async () => {
  const all = await elb.send(new DescribeLoadBalancersCommand({}));
  const names = all.LoadBalancerDescriptions?.map((d) => d.LoadBalancerName) ?? [];
  assert.ok(names.includes('web') && names.includes('api-a'), `got ${names.join(',')}`);
  assert.equal(all.NextMarker, undefined);

  const [web] = (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: ['web'] }))).LoadBalancerDescriptions ?? [];
  assert.equal(web?.LoadBalancerName, 'web');
  assert.deepEqual(web?.ListenerDescriptions?.[0]?.Listener, { Protocol: 'HTTP', LoadBalancerPort: 8080, InstanceProtocol: 'HTTP', InstancePort: 3000 });
  assert.deepEqual(web?.HealthCheck, { Target: 'HTTP:3000/ping', Interval: 1, Timeout: 1, UnhealthyThreshold: 2, HealthyThreshold: 2 });
  assert.ok(web?.CreatedTime instanceof Date);

  const seen: string[] = [];
  let marker: string | undefined;
  do {
    const page = await elb.send(new DescribeLoadBalancersCommand({ PageSize: 1, Marker: marker }));
    assert.equal(page.LoadBalancerDescriptions?.length, 1);
    seen.push(page.LoadBalancerDescriptions?.[0]?.LoadBalancerName ?? '');
    marker = page.NextMarker;
  } while (marker);
  assert.deepEqual(seen, names);

  await rejects(elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: ['web', 'nope'] })), 'AccessPointNotFoundException', 'LoadBalancerNotFound', /nope/);
  await rejects(elb.send(new DescribeLoadBalancersCommand({ Marker: '!!' })), 'ValidationError', 'ValidationError', /Marker/);
  await rejects(elb.send(new DescribeLoadBalancersCommand({ PageSize: 401 })), 'ValidationError', 'ValidationError', /pageSize/);
});

test('Register, DescribeInstanceHealth, Deregister: states follow health checks; errors for unknown balancer and bad ids', async () => {
  const id = 'i-0aaa0000000000001';
  const registered = await elb.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: id }] }));
  assert.deepEqual(registered.Instances, [{ InstanceId: id }]);

  const first = await elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web' }));
  assert.equal(first.InstanceStates?.[0]?.State, 'OutOfService', 'OutOfService until HealthyThreshold checks pass');

  const inService = await waitFor('InService', async () => {
    const r = await elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: id }] }));
    return r.InstanceStates?.[0]?.State === 'InService' && r.InstanceStates[0];
  });
  assert.deepEqual(inService, { InstanceId: id, State: 'InService', ReasonCode: 'N/A', Description: 'N/A' });

  const remaining = await elb.send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: id }] }));
  assert.deepEqual(remaining.Instances, [], 'Deregister answers with the instances left');
  const draining = await elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: id }] }));
  assert.deepEqual(draining.InstanceStates?.[0], { InstanceId: id, State: 'InService', ReasonCode: 'N/A', Description: 'Instance deregistration currently in progress.' });
  const gone = await waitFor('deregistration to finish', async () => {
    const r = await elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: id }] }));
    return r.InstanceStates?.[0]?.State === 'OutOfService' && r.InstanceStates[0];
  });
  assert.equal(gone.Description, 'Instance is not currently registered with the LoadBalancer.');

  // Deregistering again an instance that was registered before is a no-op, as on AWS.
  const again = await elb.send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: id }] }));
  assert.deepEqual(again.Instances, []);

  await rejects(elb.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'nope', Instances: [{ InstanceId: id }] })), 'AccessPointNotFoundException', 'LoadBalancerNotFound');
  await rejects(elb.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: 'web-1' }] })), 'InvalidEndPointException', 'InvalidInstance', /web-1/);
  await rejects(
    elb.send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: 'i-0bbb0000000000009' }] })),
    'InvalidEndPointException',
    'InvalidInstance',
    /i-0bbb0000000000009/,
  );
  await rejects(elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'nope' })), 'AccessPointNotFoundException', 'LoadBalancerNotFound');
  await rejects(elb.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'web', Instances: undefined as never })), 'ValidationError', 'ValidationError', /instances/);
});

test('ConfigureHealthCheck: applies AWS ranges and answers the new check', async () => {
  const HealthCheck = { Target: 'HTTP:3000/health', Interval: 5, Timeout: 2, UnhealthyThreshold: 2, HealthyThreshold: 3 };
  const answered = await elb.send(new ConfigureHealthCheckCommand({ LoadBalancerName: 'api-a', HealthCheck }));
  assert.deepEqual(answered.HealthCheck, HealthCheck);
  const [described] = (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: ['api-a'] }))).LoadBalancerDescriptions ?? [];
  assert.deepEqual(described?.HealthCheck, HealthCheck);

  await rejects(elb.send(new ConfigureHealthCheckCommand({ LoadBalancerName: 'api-a', HealthCheck: { ...HealthCheck, Interval: 1 } })), 'ValidationError', 'ValidationError', /healthCheck\.interval/);
  await rejects(elb.send(new ConfigureHealthCheckCommand({ LoadBalancerName: 'api-a', HealthCheck: { ...HealthCheck, Timeout: 5 } })), 'ValidationError', 'ValidationError', /Timeout must be less than Interval/);
  await rejects(elb.send(new ConfigureHealthCheckCommand({ LoadBalancerName: 'api-a', HealthCheck: { ...HealthCheck, Target: 'HTTP:3000' } })), 'ValidationError', 'ValidationError', /healthCheck\.target/);
  await rejects(elb.send(new ConfigureHealthCheckCommand({ LoadBalancerName: 'nope', HealthCheck })), 'AccessPointNotFoundException', 'LoadBalancerNotFound');
});

test('Describe/ModifyLoadBalancerAttributes: ConnectionDraining and IdleTimeout round-trip; bad values and unknown balancer fail', async () => {
  const described = await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerName: 'web' }));
  assert.deepEqual(described.LoadBalancerAttributes?.ConnectionDraining, { Enabled: true, Timeout: 300 });
  assert.deepEqual(described.LoadBalancerAttributes?.ConnectionSettings, { IdleTimeout: 60 });
  assert.deepEqual(described.LoadBalancerAttributes?.CrossZoneLoadBalancing, { Enabled: false });

  const modified = await elb.send(
    new ModifyLoadBalancerAttributesCommand({
      LoadBalancerName: 'api-a',
      LoadBalancerAttributes: { ConnectionDraining: { Enabled: true, Timeout: 30 }, ConnectionSettings: { IdleTimeout: 120 } },
    }),
  );
  assert.equal(modified.LoadBalancerName, 'api-a');
  assert.deepEqual(modified.LoadBalancerAttributes?.ConnectionDraining, { Enabled: true, Timeout: 30 });
  assert.deepEqual(modified.LoadBalancerAttributes?.ConnectionSettings, { IdleTimeout: 120 });
  const after = await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerName: 'api-a' }));
  assert.deepEqual(after.LoadBalancerAttributes?.ConnectionDraining, { Enabled: true, Timeout: 30 });
  assert.deepEqual(after.LoadBalancerAttributes?.ConnectionSettings, { IdleTimeout: 120 });

  await rejects(
    elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerName: 'api-a', LoadBalancerAttributes: { ConnectionDraining: { Enabled: true, Timeout: 0 } } })),
    'ValidationError',
    'ValidationError',
    /connectionDraining\.timeout/,
  );
  const unchanged = await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerName: 'api-a' }));
  assert.deepEqual(unchanged.LoadBalancerAttributes?.ConnectionDraining, { Enabled: true, Timeout: 30 }, 'a rejected call changes nothing');
  await rejects(elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerName: 'nope' })), 'AccessPointNotFoundException', 'LoadBalancerNotFound');
  await rejects(
    elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerName: 'nope', LoadBalancerAttributes: { ConnectionSettings: { IdleTimeout: 5 } } })),
    'AccessPointNotFoundException',
    'LoadBalancerNotFound',
  );
});

test('DeleteLoadBalancer: removes the balancer and its listener; deleting an unknown one succeeds (as AWS)', async () => {
  await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerName: 'api-a' }));
  await rejects(elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: ['api-a'] })), 'AccessPointNotFoundException', 'LoadBalancerNotFound');
  assert.ok(!lb.listeners.some((l) => l.balancer === 'api-a'), 'its listener stopped');
  await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerName: 'never-existed' }));
});

test('wire format: text/xml, x-amzn-RequestId matching the body, namespace, Result element even when empty', async () => {
  const ok = await rawCall(lb.endpoint, 'Action=DeleteLoadBalancer&Version=2012-06-01&LoadBalancerName=never-existed');
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), 'text/xml');
  const requestId = ok.headers.get('x-amzn-requestid');
  assert.ok(requestId);
  assert.match(ok.text, /^<DeleteLoadBalancerResponse xmlns="http:\/\/elasticloadbalancing\.amazonaws\.com\/doc\/2012-06-01\/">/);
  assert.match(ok.text, /<DeleteLoadBalancerResult><\/DeleteLoadBalancerResult>/);
  assert.ok(ok.text.includes(`<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>`));

  const err = await rawCall(lb.endpoint, 'Action=DescribeInstanceHealth&Version=2012-06-01&LoadBalancerName=nope');
  assert.equal(err.status, 400);
  assert.match(err.text, /^<ErrorResponse xmlns="http:\/\/elasticloadbalancing\.amazonaws\.com\/doc\/2012-06-01\/"><Error><Type>Sender<\/Type><Code>LoadBalancerNotFound<\/Code><Message>[^<]+<\/Message><\/Error><RequestId>[^<]+<\/RequestId><\/ErrorResponse>$/);

  const list = await rawCall(lb.endpoint, 'Action=DescribeLoadBalancers&Version=2012-06-01&LoadBalancerNames.member.1=web');
  assert.match(list.text, /<LoadBalancerDescriptions><member><LoadBalancerName>web<\/LoadBalancerName>/);
  assert.match(list.text, /<Instances><\/Instances>/, 'empty lists are present as empty elements');
});

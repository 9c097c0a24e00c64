import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import { clientsFor, rawCall } from './mock-helpers.js';

// Malformed requests, each answered with the AWS error a client expects (a well-formed <ErrorResponse>), and the
// local ELB still serving after all of them.

let lb: LocalElb;
let tgArn = '';

before(async () => {
  lb = await startLocalElb({ listenerPorts: 'ephemeral', logger: false });
  tgArn = lb.status().targetGroups[0]!.arn;
});
after(() => lb.close());

const parser = new XMLParser();
const C = 'Version=2012-06-01';
const V2 = 'Version=2015-12-01';

const cases: Array<{ name: string; body: () => string | Buffer; status: number; code: string; message?: RegExp }> = [
  { name: 'empty body', body: () => '', status: 400, code: 'MissingAction' },
  { name: 'missing Action', body: () => `${C}&LoadBalancerName=web`, status: 400, code: 'MissingAction' },
  { name: 'missing Version', body: () => 'Action=DescribeLoadBalancers', status: 400, code: 'MissingParameter', message: /Version/ },
  { name: 'unknown Version', body: () => 'Action=DescribeLoadBalancers&Version=2099-01-01', status: 400, code: 'InvalidAction', message: /2099-01-01/ },
  { name: 'unknown action', body: () => `Action=FlyToTheMoon&${C}`, status: 400, code: 'InvalidAction', message: /FlyToTheMoon/ },
  { name: 'ELBv2 action under the Classic version', body: () => `Action=CreateTargetGroup&${C}&Name=x`, status: 400, code: 'InvalidAction' },
  { name: 'an inherited property name as action', body: () => `Action=constructor&${C}`, status: 400, code: 'InvalidAction' },
  { name: 'missing required parameter', body: () => `Action=DescribeInstanceHealth&${C}`, status: 400, code: 'ValidationError', message: /'loadBalancerName'/ },
  { name: 'list index 0', body: () => `Action=RegisterInstancesWithLoadBalancer&${C}&LoadBalancerName=web&Instances.member.0.InstanceId=i-1`, status: 400, code: 'ValidationError', message: /Instances\.member\.0/i },
  { name: 'list with a gap', body: () => `Action=RegisterInstancesWithLoadBalancer&${C}&LoadBalancerName=web&Instances.member.2.InstanceId=i-1`, status: 400, code: 'ValidationError', message: /instances\.member\.1/ },
  { name: 'list index not a number', body: () => `Action=RegisterInstancesWithLoadBalancer&${C}&LoadBalancerName=web&Instances.member.x.InstanceId=i-1`, status: 400, code: 'ValidationError' },
  { name: 'list without member', body: () => `Action=RegisterInstancesWithLoadBalancer&${C}&LoadBalancerName=web&Instances.1.InstanceId=i-1`, status: 400, code: 'ValidationError' },
  { name: 'struct list item given as a scalar', body: () => `Action=RegisterInstancesWithLoadBalancer&${C}&LoadBalancerName=web&Instances.member.1=i-1`, status: 400, code: 'ValidationError', message: /structure/ },
  { name: 'struct member missing', body: () => `Action=RegisterInstancesWithLoadBalancer&${C}&LoadBalancerName=web&Instances.member.1.Id=i-1`, status: 400, code: 'ValidationError', message: /instances\.1\.member\.instanceId/ },
  { name: 'integer that is not a number', body: () => `Action=DescribeLoadBalancers&${C}&PageSize=ten`, status: 400, code: 'ValidationError', message: /'ten' at 'pageSize'/ },
  { name: 'integer far too large', body: () => `Action=DescribeLoadBalancers&${C}&PageSize=99999999999999999999`, status: 400, code: 'ValidationError' },
  { name: 'port that is not a number', body: () => `Action=RegisterTargets&${V2}&TargetGroupArn=${encodeURIComponent(tgArn)}&Targets.member.1.Id=i-1&Targets.member.1.Port=http`, status: 400, code: 'ValidationError', message: /targets\.1\.member\.port/ },
  { name: 'boolean that is not a boolean', body: () => `Action=CreateTargetGroup&${V2}&Name=x&Protocol=HTTP&Port=80&VpcId=vpc-0a1b2c3d&HealthCheckEnabled=maybe`, status: 400, code: 'ValidationError', message: /healthCheckEnabled/ },
  { name: 'enum outside its set', body: () => `Action=CreateTargetGroup&${V2}&Name=x&Protocol=GOPHER&Port=80`, status: 400, code: 'ValidationError', message: /protocol/ },
  { name: 'broken percent escapes', body: () => `Action=Describe%ZZLoadBalancers&${C}`, status: 400, code: 'InvalidAction' },
  { name: 'binary garbage', body: () => randomBytes(4096), status: 400, code: 'MissingAction' },
  { name: 'a huge parameter name', body: () => `Action=DescribeLoadBalancers&${C}&${'A'.repeat(200_000)}=1`, status: 200, code: '' },
  { name: '10 MB body', body: () => Buffer.alloc(10 * 1024 * 1024, 'a'), status: 413, code: 'RequestEntityTooLarge' },
];

for (const c of cases) {
  test(`bad input: ${c.name} → ${c.status} ${c.code || 'OK'}`, async () => {
    const res = await rawCall(lb.endpoint, c.body());
    assert.equal(res.status, c.status, res.text.slice(0, 300));
    assert.equal(res.headers.get('content-type'), 'text/xml');
    assert.ok(res.headers.get('x-amzn-requestid'));
    if (c.status === 200) return;
    const parsed = parser.parse(res.text) as { ErrorResponse?: { Error?: { Type: string; Code: string; Message: string }; RequestId?: string } };
    assert.equal(parsed.ErrorResponse?.Error?.Code, c.code, res.text);
    assert.equal(parsed.ErrorResponse?.Error?.Type, 'Sender');
    assert.equal(parsed.ErrorResponse?.RequestId, res.headers.get('x-amzn-requestid'));
    if (c.message) assert.match(parsed.ErrorResponse?.Error?.Message ?? '', c.message);
  });
}

test('bytes that are not HTTP get a 400 and a closed socket; a client vanishing mid-body is dropped; the SDK is answered right after', async () => {
  const port = Number(new URL(lb.endpoint).port);
  const answer = await new Promise<string>((resolve) => {
    let received = '';
    const socket = connect(port, '127.0.0.1', () => socket.write('\x00\x01 this is not http\r\n\r\n'));
    socket.setEncoding('latin1').on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve(received));
    socket.on('error', () => resolve(received));
  });
  assert.match(answer, /^HTTP\/1\.1 400 Bad Request/);
  // Gone right after the first bytes of a body announced as 100 kB: no answer is owed, the socket just ends.
  const vanished = await new Promise<string>((resolve) => {
    let received = '';
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100000\r\n\r\nAction=Desc', () => socket.destroy());
    });
    socket.setEncoding('latin1').on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve(received));
  });
  assert.equal(vanished, '');
  // In this test, not the next one: the server still serves the SDK after both.
  const { classic } = clientsFor(lb);
  try {
    const result = await classic.send(new DescribeLoadBalancersCommand({}));
    assert.equal(result.LoadBalancerDescriptions?.[0]?.LoadBalancerName, 'web');
  } finally {
    classic.destroy();
  }
});

test('after all of the above, the local ELB still answers the SDK and its status', async () => {
  const { classic } = clientsFor(lb);
  const result = await classic.send(new DescribeLoadBalancersCommand({}));
  assert.equal(result.LoadBalancerDescriptions?.[0]?.LoadBalancerName, 'web');
  classic.destroy();
  assert.equal((await fetch(`${lb.endpoint}/_local/status`)).status, 200);
});

// Against moto_server: the library registers and deregisters a moto EC2 instance with a moto Classic ELB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand, DescribeInstanceHealthCommand, ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { createGracefulElb } from '../src/gracefulElb.js';
import { fakeProcess } from './helpers/capture.js';
import { motoAvailable, startMoto } from './helpers/moto.js';

test('moto: register when healthy, InService, deregister on shutdown, no longer InService', async (t) => {
  if (!motoAvailable()) return t.skip('moto_server not on PATH (it is in CI): skipping the moto test');
  const moto = await startMoto();
  t.after(() => moto.stop());
  const config = { endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const elbClient = new ElasticLoadBalancingClient(config);
  const ec2 = new EC2Client(config);
  await elbClient.send(
    new CreateLoadBalancerCommand({
      LoadBalancerName: 'web',
      Listeners: [{ Protocol: 'HTTP', LoadBalancerPort: 80, InstanceProtocol: 'HTTP', InstancePort: 3000 }],
      AvailabilityZones: ['us-east-1a'],
    }),
  );
  const run = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1 }));
  const instanceId = run.Instances?.[0]?.InstanceId;
  assert.ok(instanceId);
  const motoView = async (): Promise<string | undefined> =>
    (await elbClient.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: instanceId }] }))).InstanceStates?.[0]?.State;
  assert.notEqual(await motoView(), 'InService', 'not registered before the library runs');

  const server = createServer((_req, res) => res.end('pong'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const handle = createGracefulElb(
    { server, elbName: 'web', instanceId, client: elbClient, logger: false, drainSeconds: 5, quietMs: 100, pollIntervalMs: 200, signals: [] },
    { env: {}, process: fakeProcess() },
  );
  t.after(() => handle.close());
  const info = await handle.ready;
  assert.equal(info.state, 'in-service');
  assert.equal(await motoView(), 'InService');

  const summary = await handle.shutdown('test');
  assert.equal(summary.exitCode, 0);
  assert.equal(summary.drain, 'drained');
  // moto reports a deregistered instance as "Unknown" (AWS: OutOfService): either way, not routed to.
  const after = await motoView();
  assert.ok(after !== 'InService', `moto says ${after}`);
  t.diagnostic(`moto after deregistration: ${after}`);
});

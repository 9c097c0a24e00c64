import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeLoadBalancersCommand, RegisterInstancesWithLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import type { LocalElbStatus } from '../src/mock/status.js';
import { clientsFor } from './mock-helpers.js';

// Fault injection (programmatic and over HTTP) as the real SDK experiences it, and the status endpoint.

let lb: LocalElb;

before(async () => {
  lb = await startLocalElb({ listenerPorts: 'ephemeral', logger: false });
});
afterEach(() => lb.faults.clear());
after(() => lb.close());

const describe = new DescribeLoadBalancersCommand({});

test('throttle({ count }) fails the next N calls with Throttling (400, "Rate exceeded"); the SDK retries through them', async () => {
  lb.faults.throttle({ count: 2 });
  const { classic } = clientsFor(lb, 3);
  const result = await classic.send(describe);
  assert.equal(result.$metadata.attempts, 3);
  assert.ok((result.$metadata.totalRetryDelay ?? 0) > 0, 'the SDK backed off');

  lb.faults.throttle({ count: 1 });
  const once = clientsFor(lb, 1).classic;
  await assert.rejects(once.send(describe), (err: Error & { $metadata: { httpStatusCode: number } }) => {
    assert.equal(err.name, 'Throttling');
    assert.equal(err.message, 'Rate exceeded');
    assert.equal(err.$metadata.httpStatusCode, 400);
    return true;
  });
  assert.equal((await once.send(describe)).$metadata.httpStatusCode, 200, 'count exhausted: calls pass again');
  classic.destroy();
  once.destroy();
});

test('throttle({ fraction }) fails about that share of calls; actions limits which', async () => {
  lb.faults.throttle({ fraction: 0.5, actions: ['DescribeLoadBalancers'] });
  const client = clientsFor(lb, 1).classic;
  const injectedBefore = lb.status().faults.injected.throttle;
  let throttled = 0;
  for (let i = 0; i < 100; i += 1) {
    try {
      await client.send(describe);
    } catch (err) {
      assert.equal((err as Error).name, 'Throttling');
      throttled += 1;
    }
  }
  assert.ok(throttled > 20 && throttled < 80, `about half throttled, got ${throttled}/100`);
  const register = new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: 'i-0fff0000000000001' }] });
  for (let i = 0; i < 10; i += 1) await client.send(register); // other actions are untouched
  assert.equal(lb.status().faults.injected.throttle - injectedBefore, throttled, 'status counts injected faults');
  client.destroy();
});

test('serverError answers InternalFailure (500), which the SDK retries', async () => {
  lb.faults.serverError({ count: 1 });
  const client = clientsFor(lb, 2).classic;
  const result = await client.send(describe);
  assert.equal(result.$metadata.attempts, 2);
  lb.faults.serverError({ count: 1 });
  const once = clientsFor(lb, 1).classic;
  await assert.rejects(once.send(describe), (err: Error & { $metadata: { httpStatusCode: number }; $fault: string }) => {
    assert.equal(err.name, 'InternalFailure');
    assert.equal(err.$metadata.httpStatusCode, 500);
    return true;
  });
  client.destroy();
  once.destroy();
});

test('latency delays every answer; unreachable resets connections until turned off', async () => {
  const client = clientsFor(lb, 1).classic;
  lb.faults.latency(300);
  const started = performance.now();
  await client.send(describe);
  assert.ok(performance.now() - started >= 290, 'the added latency is applied');
  lb.faults.latency(0);

  lb.faults.unreachable(true);
  await assert.rejects(client.send(describe), (err: NodeJS.ErrnoException) => {
    assert.match(`${err.code ?? ''} ${err.message}`, /ECONNRESET|socket hang up/);
    return true;
  });
  lb.faults.unreachable(false);
  assert.equal((await client.send(describe)).$metadata.httpStatusCode, 200);
  client.destroy();
});

test('POST /_local/faults takes the same rules as JSON; bad input is a 400 naming the field, and changes nothing', async () => {
  const post = (body: string): Promise<Response> => fetch(`${lb.endpoint}/_local/faults`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const ok = await post(JSON.stringify({ throttle: { count: 1, actions: ['DescribeLoadBalancers'] }, latencyMs: 10 }));
  assert.equal(ok.status, 200);
  const snapshot = (await ok.json()) as { throttle: { remaining: number; actions: string[] }; latencyMs: number };
  assert.deepEqual(snapshot.throttle.actions, ['DescribeLoadBalancers']);
  assert.equal(snapshot.latencyMs, 10);
  const client = clientsFor(lb, 1).classic;
  await assert.rejects(client.send(describe), { name: 'Throttling' });

  const bad = await post(JSON.stringify({ throttle: { fraction: 2 } }));
  assert.equal(bad.status, 400);
  const error = (await bad.json()) as { error: string; code: string };
  assert.equal(error.code, 'ERR_GRACEFUL_ELB_MOCK_CONFIG');
  assert.match(error.error, /`throttle\.fraction`.*got 2/);
  assert.equal((await post('{not json')).status, 400);
  assert.equal((await post(JSON.stringify({ explode: true }))).status, 400);
  assert.equal(((await (await fetch(`${lb.endpoint}/_local/faults`)).json()) as { latencyMs: number }).latencyMs, 10, 'unchanged by the bad posts');

  assert.equal((await post(JSON.stringify({ clear: true }))).status, 200);
  assert.equal((await client.send(describe)).$metadata.httpStatusCode, 200);
  client.destroy();
});

test('GET /_local/status: balancers, target groups, instances with state and requests routed, faults', async () => {
  const res = await fetch(`${lb.endpoint}/_local/status`);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const status = (await res.json()) as LocalElbStatus;
  assert.equal(status.endpoint, lb.endpoint);
  assert.deepEqual(status.classic.map((c) => c.name), ['web']);
  assert.ok(status.classic[0]!.listeners[0]!.url.startsWith('http://127.0.0.1:'));
  assert.deepEqual(
    status.classic[0]!.instances.map((i) => [i.instanceId, typeof i.routed, typeof i.inFlight, typeof i.state]),
    [['i-0fff0000000000001', 'number', 'number', 'string']],
  );
  assert.deepEqual(status.targetGroups.map((t) => t.name), ['web-tg']);
  assert.equal(typeof status.faults.injected.throttle, 'number');
});

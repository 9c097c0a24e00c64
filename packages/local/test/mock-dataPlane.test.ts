import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import {
  DeregisterInstancesFromLoadBalancerCommand,
  DescribeInstanceHealthCommand,
  RegisterInstancesWithLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import { DeregisterTargetsCommand, DescribeTargetHealthCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LocalElbConfig } from '../src/mock/config.js';
import { startLocalElb, type LocalElb, type LocalElbOptions } from '../src/mock/localElb.js';
import { clientsFor, startBackend, type Backend } from './mock-helpers.js';
import { waitFor } from '../../../test/helpers/waitFor.js';

// The data plane with real backends: only in-service instances get traffic, deregistration stops new requests
// after the propagation delay, in-flight requests finish while draining, health checks move states both ways.

const fast = { intervalSeconds: 0.2, timeoutSeconds: 0.5, healthyThreshold: 2, unhealthyThreshold: 2 };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
after(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function backend(name: string, handler?: Parameters<typeof startBackend>[1]): Promise<Backend> {
  const b = await startBackend(name, handler);
  cleanups.push(() => b.close());
  return b;
}

async function localElb(options: LocalElbOptions): Promise<LocalElb> {
  const lb = await startLocalElb({ listenerPorts: 'ephemeral', logger: false, ...options });
  cleanups.push(() => lb.close());
  return lb;
}

/** Classic `web` with fast health checks, optionally with instances registered from the start. */
function classicConfig(drainingSeconds = 30, instances: string[] = []): LocalElbConfig {
  return {
    classic: [
      {
        name: 'web',
        listeners: [{ loadBalancerPort: 8080, instancePort: 3000 }],
        healthCheck: { target: 'HTTP:3000/ping', ...fast },
        connectionDraining: { enabled: true, timeoutSeconds: drainingSeconds },
        instances,
      },
    ],
  };
}

/** One GET through the balancer: status and body (a socket error is reported as status 0). */
function get(url: string, path = '/', agent: false | undefined = undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

function listenerUrl(lb: LocalElb, balancer: string): string {
  const l = lb.listeners.find((x) => x.balancer === balancer);
  assert.ok(l, `listener of ${balancer}`);
  return l.url;
}

async function classicState(lb: LocalElb, id: string): Promise<string> {
  const { classic } = clientsFor(lb);
  const r = await classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: id }] }));
  classic.destroy();
  const s = r.InstanceStates?.[0];
  return `${s?.State}/${s?.Description}`;
}

test('traffic reaches only in-service instances, round robin over several local instances; 503 with none in service', async () => {
  const a = await backend('a');
  const b = await backend('b');
  b.healthy = false;
  const lb = await localElb({ config: classicConfig(), instances: { 'i-a': a.address, 'i-b': b.address } });
  const url = listenerUrl(lb, 'web');

  assert.equal((await get(url)).status, 503, 'nothing registered: 503');
  const { classic } = clientsFor(lb);
  await classic.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: 'i-a' }, { InstanceId: 'i-b' }] }));
  const early = await get(url);
  assert.equal(early.status, 503, 'registered but not yet InService: still 503');

  await waitFor('i-a InService', async () => (await classicState(lb, 'i-a')).startsWith('InService'));
  const bodies = await Promise.all(Array.from({ length: 20 }, () => get(url)));
  assert.ok(bodies.every((r) => r.status === 200 && r.body === 'a'), 'only the healthy instance serves');
  assert.equal(b.requests, 0);

  b.healthy = true;
  await waitFor('i-b InService', async () => (await classicState(lb, 'i-b')).startsWith('InService'));
  const mixed: string[] = [];
  for (let i = 0; i < 10; i += 1) mixed.push((await get(url)).body);
  assert.deepEqual(new Set(mixed), new Set(['a', 'b']), 'both serve once both are in service');
  assert.equal(mixed.filter((x) => x === 'a').length, 5, 'round robin alternates');

  const status = lb.status();
  const routed = Object.fromEntries(status.classic[0]?.instances.map((i) => [i.instanceId, i.routed]) ?? []);
  assert.deepEqual(routed, { 'i-a': 25, 'i-b': 5 }, 'status counts requests routed per instance');
  classic.destroy();
});

test('health checks move an instance out of service and back; traffic follows', async () => {
  const a = await backend('a');
  const b = await backend('b');
  const lb = await localElb({ config: classicConfig(30, ['i-a', 'i-b']), instances: { 'i-a': a.address, 'i-b': b.address } });
  const url = listenerUrl(lb, 'web');
  await waitFor('both InService', async () => (await classicState(lb, 'i-a')).startsWith('InService') && (await classicState(lb, 'i-b')).startsWith('InService'));

  b.healthy = false;
  assert.equal(
    await waitFor('i-b OutOfService', async () => {
      const s = await classicState(lb, 'i-b');
      return s.startsWith('OutOfService') && s;
    }),
    'OutOfService/Instance has failed at least the UnhealthyThreshold number of health checks consecutively.',
  );
  const before = b.requests;
  for (let i = 0; i < 10; i += 1) assert.equal((await get(url)).body, 'a');
  assert.equal(b.requests, before, 'no traffic to an unhealthy instance');

  b.healthy = true;
  await waitFor('i-b InService again', async () => (await classicState(lb, 'i-b')).startsWith('InService'));
  const after = await Promise.all(Array.from({ length: 10 }, () => get(url)));
  assert.ok(after.some((r) => r.body === 'b'), 'traffic returns');
});

test('deregistration: new requests keep arriving for the propagation delay, then none; in-flight requests finish; draining ends early when idle', async () => {
  const slowMs = 4000;
  const handler: Parameters<typeof startBackend>[1] = (req, res) => {
    const ms = req.url?.startsWith('/slow') ? slowMs : 0;
    setTimeout(() => res.writeHead(200).end('a'), ms);
  };
  const a = await backend('a', handler);
  const b = await backend('b');
  const propagationDelayMs = 1500;
  const lb = await localElb({ config: classicConfig(300, ['i-a', 'i-b']), instances: { 'i-a': a.address, 'i-b': b.address }, propagationDelayMs });
  const url = listenerUrl(lb, 'web');
  await waitFor('both InService', async () => (await classicState(lb, 'i-a')).startsWith('InService') && (await classicState(lb, 'i-b')).startsWith('InService'));

  // A slow request lands on i-a (round robin: send until one does).
  let slow: Promise<{ status: number; body: string }> | undefined;
  for (let i = 0; i < 4 && !slow; i += 1) {
    const routedBefore = lb.status().classic[0]!.instances.find((x) => x.instanceId === 'i-a')!.routed;
    const pending = get(url, '/slow');
    await waitFor('routed', () => lb.status().classic[0]!.instances.reduce((n, x) => n + x.routed, 0) > 0);
    await new Promise((r) => setImmediate(r));
    if (lb.status().classic[0]!.instances.find((x) => x.instanceId === 'i-a')!.routed > routedBefore) slow = pending;
    else await pending;
  }
  assert.ok(slow, 'a slow request is in flight on i-a');

  const { classic } = clientsFor(lb);
  const deregisteredAt = Date.now();
  await classic.send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: 'i-a' }] }));
  // During the propagation delay the instance may still get new requests (as real balancer nodes do).
  const duringBefore = a.requests;
  const [during, state] = await Promise.all([Promise.all(Array.from({ length: 6 }, () => get(url))), classicState(lb, 'i-a')]);
  assert.equal(state, 'InService/Instance deregistration currently in progress.');
  assert.ok(during.every((r) => r.status === 200));
  assert.ok(a.requests > duringBefore, 'some new requests still reached i-a within the propagation delay');

  await waitFor('routing to i-a stopped', () => !lb.status().classic[0]!.instances.find((x) => x.instanceId === 'i-a')?.routing);
  assert.ok(Date.now() - deregisteredAt >= propagationDelayMs - 50, 'not before the propagation delay');
  const afterBefore = a.requests;
  const afterResults = await Promise.all(Array.from({ length: 20 }, () => get(url)));
  assert.ok(afterResults.every((r) => r.status === 200 && r.body === 'b'));
  assert.equal(a.requests, afterBefore, 'no new request reaches i-a after the propagation delay');
  assert.equal(await classicState(lb, 'i-a'), 'InService/Instance deregistration currently in progress.', 'still draining while a request is in flight');

  const finished = await slow;
  assert.deepEqual(finished, { status: 200, body: 'a' }, 'the in-flight request completed');
  const gone = await waitFor('deregistration complete', async () => {
    const s = await classicState(lb, 'i-a');
    return s.startsWith('OutOfService') && s;
  });
  assert.equal(gone, 'OutOfService/Instance is not currently registered with the LoadBalancer.');
  assert.ok(Date.now() - deregisteredAt < 10_000, 'draining ended when idle, long before the 300 s timeout');
  classic.destroy();
});

test('the draining timeout cuts requests still in flight, as AWS closes them', async () => {
  const a = await backend('a', (_req, res) => setTimeout(() => res.writeHead(200).end('late'), 5000));
  const lb = await localElb({ config: classicConfig(1, ['i-a']), instances: { 'i-a': a.address }, propagationDelayMs: 100 });
  const url = listenerUrl(lb, 'web');
  await waitFor('InService', async () => (await classicState(lb, 'i-a')).startsWith('InService'));
  const pending = get(url, '/long');
  await waitFor('in flight', () => lb.status().classic[0]!.instances[0]!.inFlight === 1);
  const { classic } = clientsFor(lb);
  await classic.send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: 'i-a' }] }));
  const result = await pending;
  assert.equal(result.status, 0, 'the request was cut at the 1 s draining timeout');
  assert.match(await classicState(lb, 'i-a'), /^OutOfService\/Instance is not currently registered/);
  classic.destroy();
});

test('a backend that refuses or resets gives 502; the balancer keeps serving', async () => {
  const a = await backend('a', (req, res) => {
    if (req.url === '/reset') req.socket.destroy();
    else res.writeHead(200).end('a');
  });
  const lb = await localElb({ config: classicConfig(30, ['i-a']), instances: { 'i-a': a.address } });
  const url = listenerUrl(lb, 'web');
  await waitFor('InService', async () => (await classicState(lb, 'i-a')).startsWith('InService'));
  assert.equal((await get(url, '/reset')).status, 502);
  assert.equal((await get(url, '/')).status, 200);

  // Refused: point the instance at a closed port; until health checks notice, requests get 502.
  const closed = await backend('closed');
  const deadPort = closed.port;
  await closed.close();
  lb.setInstanceAddress('i-a', `127.0.0.1:${deadPort}`);
  const refused = await get(url, '/');
  assert.ok(refused.status === 502 || refused.status === 503, `refused → 502 (or 503 once marked unhealthy), got ${refused.status}`);
  await waitFor('OutOfService', async () => (await classicState(lb, 'i-a')).startsWith('OutOfService'));
  assert.equal((await get(url, '/')).status, 503);
  assert.ok(lb.status().classic[0]!.listeners[0]!.badGateway502 >= 1);
});

test('backend connections are pooled with keep-alive across client requests, even for clients that close theirs', async () => {
  let connections = 0;
  const a = await backend('a');
  a.server.on('connection', () => (connections += 1));
  const lb = await localElb({ config: classicConfig(30, ['i-a']), instances: { 'i-a': a.address } });
  const url = listenerUrl(lb, 'web');
  await waitFor('InService', async () => (await classicState(lb, 'i-a')).startsWith('InService'));
  const before = connections;
  for (let i = 0; i < 20; i += 1) assert.equal((await get(url, '/', false)).status, 200);
  // Health checks open their own connections (one per probe); proxied requests reuse the pool.
  assert.ok(connections - before < 10, `20 fresh client connections used ${connections - before} backend connections`);
});

test('ELBv2: traffic through the ALB listener to healthy targets; draining lasts the whole delay while new requests stop', async () => {
  const a = await backend('a');
  const b = await backend('b');
  const lb = await localElb({
    config: {
      loadBalancers: [{ name: 'alb', listeners: [{ port: 8081, targetGroup: 'tg' }] }],
      targetGroups: [{ name: 'tg', port: 3000, healthCheck: { path: '/ping', ...fast }, deregistrationDelaySeconds: 3 }],
    },
    propagationDelayMs: 300,
  });
  const url = listenerUrl(lb, 'alb');
  const { v2 } = clientsFor(lb);
  const tgArn = lb.status().targetGroups[0]!.arn;
  await v2.send(new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: 'i-a', Port: a.port }, { Id: 'i-b', Port: b.port }] }));
  const states = async (): Promise<string[]> =>
    ((await v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions ?? []).map((d) => `${d.Target?.Id}:${d.TargetHealth?.State}`);
  await waitFor('both healthy', async () => (await states()).join() === 'i-a:healthy,i-b:healthy');
  const bodies = await Promise.all(Array.from({ length: 10 }, () => get(url)));
  assert.deepEqual(new Set(bodies.map((r) => r.body)), new Set(['a', 'b']));

  await v2.send(new DeregisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: 'i-a', Port: a.port }] }));
  await waitFor('routing to i-a stopped', () => !lb.status().targetGroups[0]!.targets.find((t) => t.instanceId === 'i-a')?.routing);
  const before = a.requests;
  for (let i = 0; i < 10; i += 1) assert.equal((await get(url)).body, 'b');
  assert.equal(a.requests, before);
  assert.deepEqual(await states(), ['i-a:draining', 'i-b:healthy'], 'still draining while idle: the state cannot tell when it is safe to stop');
  await waitFor('i-a gone after the delay', async () => (await states()).join() === 'i-b:healthy');

  b.healthy = false;
  await waitFor('i-b unhealthy', async () => (await states()).join() === 'i-b:unhealthy');
  assert.equal((await get(url)).body, 'b', 'an ALB fails open when every target is unhealthy (AWS documents this)');
  v2.destroy();
});

/** Keeps `workers` requests in flight through `url` until stopped; counts outcomes by status (0 = socket error). */
function loadLoop(url: string, workers = 4): { stop: () => Promise<Map<number, number>> } {
  const outcomes = new Map<number, number>();
  let running = true;
  const agent = new Agent({ keepAlive: true });
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const { status } = await new Promise<{ status: number }>((resolve) => {
        const req = request(url, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
          res.on('error', () => resolve({ status: 0 }));
        });
        req.on('error', () => resolve({ status: 0 }));
        req.end();
      });
      outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return outcomes;
    },
  };
}

test('under load: leaving gracefully (deregister, wait for traffic to stop, then close) fails no request; closing abruptly does', async () => {
  const slowish: Parameters<typeof startBackend>[1] = (_req, res) => setTimeout(() => res.writeHead(200).end('ok'), 5);
  const a = await backend('a', slowish);
  const b = await backend('b', slowish);
  const lb = await localElb({ config: classicConfig(30, ['i-a', 'i-b']), instances: { 'i-a': a.address, 'i-b': b.address }, propagationDelayMs: 300 });
  const url = listenerUrl(lb, 'web');
  await waitFor('both InService', async () => (await classicState(lb, 'i-a')).startsWith('InService') && (await classicState(lb, 'i-b')).startsWith('InService'));

  const graceful = loadLoop(url);
  await waitFor('traffic on both', () => a.requests > 20 && b.requests > 20);
  const { classic } = clientsFor(lb);
  await classic.send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: 'i-a' }] }));
  await waitFor('i-a drained', async () => (await classicState(lb, 'i-a')).startsWith('OutOfService'));
  await a.close();
  const servedByB = b.requests;
  await waitFor('more traffic after i-a left', () => b.requests > servedByB + 50);
  const calm = await graceful.stop();
  assert.deepEqual([...calm.keys()], [200], `graceful: every request answered 200 (${JSON.stringify([...calm])})`);

  const naive = loadLoop(url);
  await waitFor('traffic on b', () => b.requests > servedByB + 100);
  await b.close(); // no deregistration: the balancer keeps routing until health checks fail
  await waitFor('i-b OutOfService', async () => (await classicState(lb, 'i-b')).startsWith('OutOfService'));
  const rough = await naive.stop();
  const failed = [...rough].filter(([status]) => status !== 200).reduce((n, [, count]) => n + count, 0);
  assert.ok(failed > 0, `naive: requests failed (${JSON.stringify([...rough])})`);
  assert.ok(rough.has(502) || rough.has(0), 'a refused or reset backend shows as 502 (or a cut connection)');
  classic.destroy();
});

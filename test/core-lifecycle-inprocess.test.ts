import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGracefulElb } from '../src/gracefulElb.js';
import { EXIT_CODES } from '../src/exitCodes.js';
import { HealthCheckFailedError, IdentityError, ShutdownBeforeReadyError } from '../src/lifecycleErrors.js';
import { isLifecycleMessage, type LifecycleState } from '../src/lifecycleMessage.js';
import { TRANSITIONS } from '../src/stateMachine.js';
import { classicClient, instanceHealth, startCoreElb } from './helpers/coreElb.js';
import { captureLogger, fakeProcess } from './helpers/capture.js';
import { waitFor } from './helpers/waitFor.js';

const ID = 'i-0123456789abcdef0';

async function listen(health: () => number, onRequest?: () => void): Promise<Server> {
  const server = createServer((req, res) => {
    onRequest?.();
    if (req.url === '/ping') res.writeHead(health()).end('pong');
    else res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const addressOf = (server: Server): string => `127.0.0.1:${(server.address() as AddressInfo).port}`;

function status(server: Server, path: string): Promise<{ status: number; connection: string | undefined }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    }).on('error', reject);
  });
}

test('state machine: every state is reachable from starting, and only closed is terminal', () => {
  const seen = new Set<LifecycleState>(['starting']);
  const queue: LifecycleState[] = ['starting'];
  while (queue.length > 0) {
    for (const next of TRANSITIONS[queue.shift()!]) if (!seen.has(next)) (seen.add(next), queue.push(next));
  }
  assert.deepEqual([...seen].sort(), Object.keys(TRANSITIONS).sort());
  assert.deepEqual(Object.entries(TRANSITIONS).filter(([, next]) => next.length === 0).map(([s]) => s), ['closed']);
});

test('lifecycle order with a balancer: probe before register, deregister before the server stops, every state once', async (t) => {
  let healthyAt: number | undefined;
  let probes = 0;
  const server = await listen(() => {
    probes++;
    // Unhealthy for the first three probes: registration must wait for the fourth.
    if (probes <= 3) return 503;
    healthyAt ??= Date.now();
    return 200;
  });
  t.after(() => server.close());
  const lb = await startCoreElb({ connectionDrainingSeconds: 30, idleTimeoutSeconds: 120, instances: { [ID]: addressOf(server) } });
  t.after(() => lb.close());
  const client = classicClient(lb);
  t.after(() => client.destroy());
  let closeCalledAt: number | undefined;
  const realClose = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    closeCalledAt ??= Date.now();
    return realClose(cb);
  }) as typeof server.close;

  const proc = fakeProcess();
  const { logger, lines } = captureLogger();
  const exits: number[] = [];
  const handle = createGracefulElb(
    { server, elbName: 'web', instanceId: ID, client, logger, drainSeconds: 5, quietMs: 200, graceMs: 1000, pollIntervalMs: 100, probeIntervalMs: 50, exit: (c) => exits.push(c) },
    { env: { ...lb.env }, process: proc },
  );
  const states: LifecycleState[] = [];
  handle.on('state', (s) => states.push(s));

  const info = await handle.ready;
  assert.equal(info.state, 'in-service');
  assert.deepEqual(info.balancers, ['elb/web']);
  assert.equal(handle.state, 'in-service');
  const register = lb.calls().find((c) => c.action === 'RegisterInstancesWithLoadBalancer');
  assert.ok(register && healthyAt !== undefined && register.at >= healthyAt, 'registered only after the health route passed');
  assert.deepEqual(register.instanceIds, [ID]);
  assert.ok(proc.sent.includes('ready'), "process.send('ready') on in-service");
  assert.equal(server.keepAliveTimeout, 125_000, "keep-alive above the balancer's idle timeout (120 s) + 5 s");
  assert.equal(server.headersTimeout, 126_000);

  proc.signal('SIGTERM');
  await waitFor('exit', () => exits.length > 0, 15_000);
  assert.deepEqual(exits, [0]);
  assert.deepEqual(states, ['probing', 'registering', 'joining', 'in-service', 'leaving', 'draining', 'closing', 'closed']);
  const deregister = lb.calls().find((c) => c.action === 'DeregisterInstancesFromLoadBalancer');
  assert.ok(
    deregister?.answeredAt != null && closeCalledAt !== undefined && deregister.status === 200 && deregister.answeredAt <= closeCalledAt,
    'deregistered (and answered) before the server stopped accepting',
  );
  assert.equal(server.listening, false);

  // IPC: one message per state, in the same order, and 'ready' right after in-service.
  const messages = proc.sent.filter(isLifecycleMessage).map((m) => m.state);
  assert.deepEqual(messages, ['starting', ...states]);
  // One log line per phase, each with its duration.
  for (const phase of ['identity', 'probe', 'register', 'in-service', 'signal', 'deregister', 'drained', 'closed', 'exit']) {
    assert.ok(lines.some((l) => l.phase === phase), `a log line for phase ${phase}`);
  }
  for (const phase of ['identity', 'probe', 'register', 'in-service', 'deregister', 'drained', 'closed']) {
    assert.equal(typeof lines.find((l) => l.phase === phase && l.durationMs !== undefined)?.durationMs, 'number', `${phase} has a duration`);
  }
  assert.equal(lines.find((l) => l.phase === 'drained')?.drain, 'drained', 'an idle instance drains on traffic, not on the deadline');
  assert.equal(proc.emitter.listenerCount('SIGTERM'), 0, 'signal handlers removed');
});

test('no balancer mode: one warning, serving, SIGTERM still drains and exits 0', async (t) => {
  const server = await listen(() => 200);
  t.after(() => server.close());
  const proc = fakeProcess();
  const { logger, lines } = captureLogger();
  const exits: number[] = [];
  // Closed IMDS port and no hint that a balancer is expected.
  const started = Date.now();
  const handle = createGracefulElb(
    { server, elbName: 'web', logger, drainSeconds: 2, quietMs: 100, exit: (c) => exits.push(c) },
    { env: { AWS_EC2_METADATA_DISABLED: 'true' }, process: proc },
  );
  const info = await handle.ready;
  assert.equal(info.state, 'serving');
  assert.ok(Date.now() - started < 3000);
  assert.equal(lines.filter((l) => l.level === 40).length, 1, 'exactly one warning');
  assert.match(lines.find((l) => l.level === 40)!.msg, /WITHOUT a load balancer/);
  proc.signal('SIGTERM');
  await waitFor('exit', () => exits.length > 0, 10_000);
  assert.deepEqual(exits, [0]);
});

test('health route failing forever: ready rejects with a coded error, never registered, still serving', async (t) => {
  const server = await listen(() => 500);
  t.after(() => server.close());
  const lb = await startCoreElb({ instances: { [ID]: addressOf(server) } });
  t.after(() => lb.close());
  const client = classicClient(lb);
  t.after(() => client.destroy());
  const proc = fakeProcess();
  const handle = createGracefulElb(
    { server, elbName: 'web', instanceId: ID, client, logger: false, probeIntervalMs: 50, probeTimeoutMs: 600, signals: [] },
    { env: { ...lb.env }, process: proc },
  );
  t.after(() => handle.close());
  await assert.rejects(handle.ready, (e: unknown) => e instanceof HealthCheckFailedError && e.lastStatus === 500);
  assert.equal(handle.state, 'failed');
  assert.equal(lb.calls().filter((c) => c.action === 'RegisterInstancesWithLoadBalancer').length, 0, 'never registered');
  assert.equal((await status(server, '/other')).status, 200, 'the app keeps serving');
  const failed = proc.sent.filter(isLifecycleMessage).find((m) => m.state === 'failed');
  assert.equal(failed?.error?.code, 'ERR_GRACEFUL_ELB_HEALTH_NEVER_PASSED');
});

test('after the signal the health route answers 503 without calling the app, with Connection: close everywhere', async (t) => {
  let appHealthCalls = 0;
  const server = await listen(() => (appHealthCalls++, 200));
  t.after(() => server.close());
  const handle = createGracefulElb(
    { server, elbName: 'web', logger: false, drainSeconds: 3, quietMs: 1500, signals: [], exit: () => undefined },
    { env: { AWS_EC2_METADATA_DISABLED: 'true' }, process: fakeProcess() },
  );
  t.after(() => handle.close());
  await handle.ready;
  const before = appHealthCalls;
  const done = handle.shutdown('test');
  const health = await status(server, '/ping');
  assert.equal(health.status, 503);
  assert.equal(health.connection, 'close');
  assert.equal(appHealthCalls, before, "the app's health handler was not called");
  const other = await status(server, '/x');
  assert.equal(other.status, 200);
  assert.equal(other.connection, 'close');
  assert.equal(handle.shutdown('again'), done, 'shutdown is idempotent');
  const summary = await done;
  assert.equal(summary.exitCode, 0);
  assert.equal(summary.drain, 'drained');
});

test('shutdown before ready: ready rejects with ShutdownBeforeReadyError; nothing registered, nothing deregistered', async (t) => {
  const server = await listen(() => 503);
  t.after(() => server.close());
  const lb = await startCoreElb({ instances: { [ID]: addressOf(server) } });
  t.after(() => lb.close());
  const client = classicClient(lb);
  t.after(() => client.destroy());
  const handle = createGracefulElb(
    { server, elbName: 'web', instanceId: ID, client, logger: false, drainSeconds: 1, quietMs: 0, signals: [] },
    { env: { ...lb.env }, process: fakeProcess() },
  );
  t.after(() => handle.close());
  await waitFor('condition', () => handle.state === 'probing');
  const summary = await handle.shutdown('early');
  await assert.rejects(handle.ready, ShutdownBeforeReadyError);
  assert.equal(summary.exitCode, 0);
  assert.deepEqual(lb.calls().map((c) => c.action ?? '').filter((a) => a.toLowerCase().includes('register')), []);
});

test('close() removes every listener, hook and handler the library added', async (t) => {
  const server = await listen(() => 200);
  t.after(() => server.close());
  const counts = () => ({
    connection: server.listenerCount('connection'),
    secureConnection: server.listenerCount('secureConnection'),
    request: server.listenerCount('request'),
    listening: server.listenerCount('listening'),
    ownEmit: Object.prototype.hasOwnProperty.call(server, 'emit'),
  });
  const before = counts();
  const proc = fakeProcess();
  const handle = createGracefulElb({ server, elbName: 'web', logger: false }, { env: { AWS_EC2_METADATA_DISABLED: 'true' }, process: proc });
  assert.notDeepEqual(counts(), before);
  assert.equal(proc.emitter.listenerCount('SIGTERM') + proc.emitter.listenerCount('SIGINT'), 2);
  await handle.ready;
  handle.close();
  assert.deepEqual(counts(), before);
  assert.equal(proc.emitter.eventNames().length, 0);
});

test('several balancers: one refusing to let go is reported by name and does not stop leaving the other', async (t) => {
  const server = await listen(() => 200);
  t.after(() => server.close());
  // Balancer nodes keep routing for 10 s after a deregistration, so `web` still reads "deregistration in progress"
  // when the shutdown ends at drainSeconds (2 s).
  const lb = await startCoreElb({ balancers: ['web', 'api'], propagationDelayMs: 10_000, instances: { [ID]: addressOf(server) } });
  t.after(() => lb.close());
  const client = classicClient(lb);
  t.after(() => client.destroy());
  const { logger, lines } = captureLogger();
  const handle = createGracefulElb(
    { server, elbName: ['web', 'api'], instanceId: ID, client, logger, drainSeconds: 2, quietMs: 100, pollIntervalMs: 100, retryMaxAttempts: 2, retryBaseMs: 10, signals: [] },
    { env: { ...lb.env }, process: fakeProcess() },
  );
  t.after(() => handle.close());
  const info = await handle.ready;
  assert.deepEqual(info.balancers, ['elb/web', 'elb/api']);
  lb.faults.throttle({ count: 1000, actions: ['DeregisterInstancesFromLoadBalancer'], loadBalancers: ['api'] });
  const summary = await handle.shutdown('test');
  const web = await instanceHealth(lb, 'web', ID);
  assert.deepEqual(web, { state: 'InService', description: 'Instance deregistration currently in progress.' }, 'web: left (draining reads InService + deregistration in progress)');
  // `api` never let go, but its health checks now meet the library's 503: it stopped routing here all the same.
  const api = await instanceHealth(lb, 'api', ID);
  assert.deepEqual(api, { state: 'OutOfService', description: 'Instance has failed at least the UnhealthyThreshold number of health checks consecutively.' });
  const webLeft = lb.calls().some((c) => c.action === 'DeregisterInstancesFromLoadBalancer' && c.loadBalancer === 'web' && c.status === 200);
  assert.ok(webLeft, 'web was deregistered');
  const failure = lines.find((l) => l.phase === 'deregister' && l.level === 50);
  assert.equal(failure?.balancer, 'elb/api');
  assert.equal(summary.drain, 'deadline', 'api may still route here: wait out drainSeconds');
  assert.equal(summary.exitCode, EXIT_CODES.leaveFailed, 'the failed leave has its own exit code');
  assert.deepEqual(summary.balancers, [{ label: 'elb/web', left: true }, { label: 'elb/api', left: false }]);
});

test('IMDS unreachable while a balancer endpoint is configured: ready rejects with IdentityError within about 2 s', async (t) => {
  const server = await listen(() => 200);
  t.after(() => server.close());
  const started = Date.now();
  const handle = createGracefulElb(
    { server, elbName: 'web', logger: false, signals: [] },
    { env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING: 'http://127.0.0.1:9' }, process: fakeProcess() },
  );
  t.after(() => handle.close());
  await assert.rejects(handle.ready, IdentityError);
  assert.ok(Date.now() - started < 3000);
  assert.equal(handle.state, 'failed');
});

test('a signal during a shutdown the app started itself is the first signal: it waits for the drain and exits 0', async (t) => {
  const server = await listen(() => 200);
  t.after(() => server.close());
  const proc = fakeProcess();
  const exits: number[] = [];
  const handle = createGracefulElb(
    { server, elbName: 'web', logger: false, drainSeconds: 2, quietMs: 200, exit: (c) => exits.push(c) },
    { env: { AWS_EC2_METADATA_DISABLED: 'true' }, process: proc },
  );
  await handle.ready;
  const summary = handle.shutdown('app decided');
  proc.signal('SIGTERM');
  assert.equal((await summary).exitCode, 0);
  await waitFor('condition', () => exits.length > 0);
  assert.deepEqual(exits, [0]);
});

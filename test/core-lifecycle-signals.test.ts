// The lifecycle in a real process: a forked fixture app, the real AWS SDK over HTTP to the project's local ELB
// (real health checks; traffic through its Classic listener where a balancer would send it), real SIGTERM, real sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegisterInstancesWithLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import type { LocalElb } from '@graceful-elb/local';
import { classicClient, forkInstance, instanceHealth, startCoreElb } from './helpers/coreElb.js';
import { FIXTURE_APP, type Forked } from './helpers/fork.js';
import { oneRequest, startLoad } from './helpers/load.js';
import { startBackend } from '../packages/local/test/mock-helpers.js';
import { EXIT_CODES } from '../src/exitCodes.js';
import { waitFor } from './helpers/waitFor.js';

const INSTANCE = 'i-0f1e2d3c4b5a69788';
const STABLE = 'i-05ab1e0000000000a';

async function startApp(t: { after(fn: () => unknown): void }, lb: LocalElb, options: Record<string, unknown>, env: Record<string, string> = {}): Promise<{ app: Forked; port: number }> {
  const app = forkInstance(
    lb,
    FIXTURE_APP,
    INSTANCE,
    { FIXTURE_OPTIONS: JSON.stringify({ pollIntervalMs: 200, probeIntervalMs: 100, ...options }), ...env },
    (l) => l.fixture === 'listening',
  );
  t.after(() => app.kill());
  const listening = await app.line((l) => l.fixture === 'listening', 20_000, 'listening');
  return { app, port: listening.port as number };
}

const phaseLine = (app: Forked, phase: string) => app.lines.find((l) => l.phase === phase);
const registerCalls = (lb: LocalElb) => lb.calls().filter((c) => (c.action ?? '').toLowerCase().includes('register'));
const routedTo = (lb: LocalElb, id: string): number => lb.status().instances[id]?.routed ?? 0;

test('SIGTERM under load through the balancer: registered only after healthy, deregistered before the server closes, zero failed requests, exit 0', async (t) => {
  // A second instance stays in service: the balancer has somewhere to send traffic once the app has left.
  const stable = await startBackend('stable');
  t.after(() => stable.close());
  const lb = await startCoreElb({ connectionDrainingSeconds: 30, instances: { [STABLE]: stable.address } });
  t.after(() => lb.close());
  const client = classicClient(lb);
  t.after(() => client.destroy());
  await client.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: STABLE }] }));
  const { app, port } = await startApp(t, lb, { drainSeconds: 15, quietMs: 500, graceMs: 2000 }, { FIXTURE_HEALTHY_AFTER_MS: '600' });
  await app.line((l) => l.fixture === 'ready', 20_000, 'ready');

  const healthy = app.lines.find((l) => l.fixture === 'healthy')!;
  const register = lb.calls().find((c) => c.action === 'RegisterInstancesWithLoadBalancer' && c.instanceIds.includes(INSTANCE))!;
  assert.ok(register.at >= (healthy.at as number), 'never registered before the health route passed');
  assert.equal((await instanceHealth(lb, 'web', INSTANCE)).state, 'InService');

  const listener = lb.listeners.find((l) => l.balancer === 'web')!;
  const load = startLoad(listener.port, ['/', '/work?ms=30', '/work?ms=120']);
  t.after(() => load.stop());
  await waitFor('traffic before the signal, some of it to the app', () => load.result.ok >= 50 && routedTo(lb, INSTANCE) >= 20, 10_000);
  const signalAt = Date.now();
  app.child.kill('SIGTERM');
  await waitFor('deregistration', () => lb.calls().some((c) => c.action === 'DeregisterInstancesFromLoadBalancer'), 10_000);
  const okAtDeregister = load.result.ok;
  // Balancer nodes learn of a deregistration late (the propagation delay, 1 s): the app still gets new requests.
  // (Sampled while it lasts: once the instance has left, the status no longer lists it.)
  const routedAtDeregister = routedTo(lb, INSTANCE);
  let routedAfterDeregister = 0;
  const sampler = setInterval(() => (routedAfterDeregister = Math.max(routedAfterDeregister, routedTo(lb, INSTANCE) - routedAtDeregister)), 10);
  t.after(() => clearInterval(sampler));
  await waitFor('a request routed to the app after its deregistration', () => routedTo(lb, INSTANCE) > routedAtDeregister, 5000);
  // A keep-alive client of the app itself (as a balancer node is): told to close its connection from now on.
  const direct = startLoad(port, ['/'], 1);
  await waitFor('a direct request after the signal', () => direct.result.ok + direct.result.failed >= 1, 10_000);
  direct.stop();
  const afterSignal = await direct.done;
  const exit = await app.exited;
  clearInterval(sampler);
  // The balancer sends everything to the stable instance now: keep the load on a little longer to see it.
  const okAtExit = load.result.ok;
  await waitFor('traffic after the exit', () => load.result.ok >= okAtExit + 50, 20_000);
  load.stop();
  const result = await load.done;

  assert.equal(result.failed, 0, `failed requests: ${result.errors.slice(0, 5).join('; ')}`);
  assert.ok(result.ok > okAtDeregister, 'requests kept being served after deregistration');
  assert.equal(afterSignal.failed, 0);
  assert.ok(afterSignal.closedConnections > 0, 'responses after the signal carried Connection: close');
  assert.equal(exit.code, 0, app.stderr());
  const deregister = lb.calls().find((c) => c.action === 'DeregisterInstancesFromLoadBalancer')!;
  const serverClose = app.lines.find((l) => l.fixture === 'server-close')!;
  assert.ok(deregister.status === 200 && deregister.answeredAt !== null && deregister.answeredAt <= (serverClose.at as number), 'deregistered before the server stopped accepting');
  assert.equal(phaseLine(app, 'drained')?.drain, 'drained');
  assert.ok(exit.at - signalAt < 10_000, 'exited well before drainSeconds');
  const states = ['probing', 'registering', 'joining', 'in-service', 'leaving', 'draining', 'closing', 'closed'];
  assert.deepEqual(app.lines.filter((l) => l.fixture === 'state').map((l) => l.state), states);
  // Over the real IPC channel: one lifecycle message per state, and 'ready' right after in-service.
  const ipc = app.messages.map((m) => (typeof m === 'string' ? m : (m as { state: string }).state));
  assert.deepEqual(ipc, ['starting', 'probing', 'registering', 'joining', 'in-service', 'ready', 'leaving', 'draining', 'closing', 'closed']);
  t.diagnostic(
    `through the balancer: ${result.ok} requests ok, 0 failed, at least ${routedAfterDeregister} of them routed to the app after its deregistration (propagation delay 1000 ms); signal to exit ${exit.at - signalAt} ms`,
  );
});

test('an idle instance exits soon after the quiet window, not after drainSeconds', async (t) => {
  const lb = await startCoreElb();
  t.after(() => lb.close());
  const { app } = await startApp(t, lb, { drainSeconds: 60, quietMs: 300 });
  await app.line((l) => l.fixture === 'ready', 20_000, 'ready');
  const signalAt = Date.now();
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  assert.equal(exit.code, 0);
  assert.equal(phaseLine(app, 'drained')?.drain, 'drained');
  assert.ok(exit.at - signalAt < 15_000, `signal to exit ${exit.at - signalAt} ms, far below drainSeconds (60 s)`);
  t.diagnostic(`idle: signal to exit ${exit.at - signalAt} ms (quietMs 300, pollIntervalMs 200)`);
});

test('Throttling twice then success, on register and on deregister: both succeed, exit 0', async (t) => {
  const lb = await startCoreElb();
  t.after(() => lb.close());
  lb.faults.throttle({ count: 2, actions: ['RegisterInstancesWithLoadBalancer'] });
  const { app } = await startApp(t, lb, { drainSeconds: 10, quietMs: 200, retryBaseMs: 50 });
  await app.line((l) => l.fixture === 'ready', 20_000, 'ready');
  lb.faults.throttle({ count: 2, actions: ['DeregisterInstancesFromLoadBalancer'] });
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  assert.equal(exit.code, 0);
  for (const action of ['RegisterInstancesWithLoadBalancer', 'DeregisterInstancesFromLoadBalancer']) {
    assert.deepEqual(lb.calls().filter((c) => c.action === action).map((c) => [c.status, c.error]), [[400, 'Throttling'], [400, 'Throttling'], [200, null]], action);
  }
  assert.equal(app.lines.filter((l) => l.msg === 'balancer API call failed; retrying').length, 4, 'each retry logged');
  assert.equal(phaseLine(app, 'drained')?.drain, 'drained');
});

test('API unreachable at SIGTERM: keeps serving, waits out drainSeconds, exits 4 (leave failed) with the failure logged', async (t) => {
  const lb = await startCoreElb();
  t.after(() => lb.close());
  const { app, port } = await startApp(t, lb, { drainSeconds: 3, quietMs: 200, retryBaseMs: 50, retryMaxAttempts: 3, apiTimeoutMs: 500 });
  await app.line((l) => l.fixture === 'ready', 20_000, 'ready');
  lb.faults.unreachable(true);
  app.child.kill('SIGTERM');
  await app.line((l) => l.phase === 'deregister' && l.level === 50, 10_000, 'the deregistration failure');
  // Still serving after the failure: the balancer may still route here.
  const load = startLoad(port, ['/'], 1);
  await waitFor('requests served while waiting out drainSeconds', () => load.result.ok >= 3, 5000);
  load.stop();
  const result = await load.done;
  const exit = await app.exited;
  assert.equal(result.failed, 0);
  assert.equal(exit.code, EXIT_CODES.leaveFailed);
  assert.equal(phaseLine(app, 'drained')?.drain, 'deadline');
});

test('a signal during startup: nothing registered, ready rejects with SHUTDOWN_BEFORE_READY, exit 0', async (t) => {
  const lb = await startCoreElb();
  t.after(() => lb.close());
  const { app } = await startApp(t, lb, { drainSeconds: 5, quietMs: 100 }, { FIXTURE_HEALTHY_AFTER_MS: '600000' });
  await app.line((l) => l.fixture === 'state' && l.state === 'probing', 20_000, 'probing');
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  assert.equal(exit.code, 0);
  assert.equal(app.lines.find((l) => l.fixture === 'ready-failed')?.code, 'ERR_GRACEFUL_ELB_SHUTDOWN_BEFORE_READY');
  assert.deepEqual(registerCalls(lb), []);
});

test('a second signal during the drain forces exit at once (128 + SIGTERM)', async (t) => {
  const lb = await startCoreElb();
  t.after(() => lb.close());
  const { app, port } = await startApp(t, lb, { drainSeconds: 60, quietMs: 200 });
  await app.line((l) => l.fixture === 'ready', 20_000, 'ready');
  const long = oneRequest(port, '/work?ms=30000');
  await app.line((l) => l.fixture === 'long-request', 10_000, 'the long request in the app');
  app.child.kill('SIGTERM');
  await app.line((l) => l.fixture === 'state' && l.state === 'draining', 10_000, 'draining');
  const secondAt = Date.now();
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  await long;
  assert.equal(exit.code, 143);
  assert.ok(exit.at - secondAt < 5000, 'at once');
  const forced = app.lines.find((l) => l.phase === 'exit' && l.level === 50);
  assert.equal((forced?.err as { code?: string } | undefined)?.code, 'ERR_GRACEFUL_ELB_FORCED_BY_SIGNAL');
});

test('a request longer than drainSeconds is cut at the deadline, logged, exit 1', async (t) => {
  const lb = await startCoreElb();
  t.after(() => lb.close());
  const { app, port } = await startApp(t, lb, { drainSeconds: 1, quietMs: 100, graceMs: 1000 });
  await app.line((l) => l.fixture === 'ready', 20_000, 'ready');
  const long = oneRequest(port, '/work?ms=30000');
  await app.line((l) => l.fixture === 'long-request', 10_000, 'the long request in the app');
  const signalAt = Date.now();
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  const cut = await long;
  assert.equal(exit.code, 1);
  assert.ok(exit.at - signalAt < 10_000, 'bounded by drainSeconds + graceMs (+ slack)');
  assert.equal(cut.status, undefined, 'the long request was cut');
  assert.ok(cut.error !== undefined);
  const logged = app.lines.filter((l) => l.level === 50 && (l.phase === 'closed' || l.phase === 'exit'));
  assert.ok(logged.length > 0, 'the cut is logged');
  assert.ok(
    logged.some((l) => l.cutRequests === 1 || (Array.isArray(l.openRequests) && (l.openRequests as Array<{ url: string }>)[0]?.url === '/work?ms=30000')),
    JSON.stringify(logged),
  );
});

test('health route failing forever with exitOnStartupFailure: never registered, exit 3', async (t) => {
  const lb = await startCoreElb();
  t.after(() => lb.close());
  const { app } = await startApp(t, lb, { probeTimeoutMs: 800, exitOnStartupFailure: true, drainSeconds: 2, quietMs: 100 }, { FIXTURE_HEALTH_STATUS: '500' });
  const exit = await app.exited;
  assert.equal(exit.code, 3);
  assert.equal(app.lines.find((l) => l.fixture === 'ready-failed')?.code, 'ERR_GRACEFUL_ELB_HEALTH_NEVER_PASSED');
  assert.deepEqual(registerCalls(lb), []);
});

test('health route failing forever, ready never awaited: no crash, still serving, SIGTERM exits 0', async (t) => {
  const lb = await startCoreElb();
  t.after(() => lb.close());
  const { app, port } = await startApp(t, lb, { probeTimeoutMs: 500, drainSeconds: 2, quietMs: 100 }, { FIXTURE_HEALTH_STATUS: '500', FIXTURE_IGNORE_READY: '1' });
  await app.line((l) => l.fixture === 'state' && l.state === 'failed', 20_000, 'failed');
  assert.equal((await oneRequest(port, '/x')).status, 200, 'still serving');
  const failed = app.messages.find((m) => (m as { state?: string }).state === 'failed') as { error?: { code: string } } | undefined;
  assert.equal(failed?.error?.code, 'ERR_GRACEFUL_ELB_HEALTH_NEVER_PASSED');
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  assert.equal(exit.code, 0, app.stderr());
  assert.doesNotMatch(app.stderr(), /Unhandled|unhandled/);
  assert.deepEqual(registerCalls(lb), []);
});

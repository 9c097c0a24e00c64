// The lifecycle in a real process: a forked fixture app, the real AWS SDK over HTTP to a Query-XML endpoint,
// real SIGTERM, real sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeElb, type FakeElb } from './helpers/fakeElb.js';
import { fork, FIXTURE_APP, type Forked } from './helpers/fork.js';
import { oneRequest, startLoad } from './helpers/load.js';
import { waitFor } from './helpers/capture.js';

const INSTANCE = 'i-0f1e2d3c4b5a69788';

async function startApp(t: { after(fn: () => unknown): void }, elb: FakeElb, options: Record<string, unknown>, env: Record<string, string> = {}): Promise<{ app: Forked; port: number }> {
  const app = fork(FIXTURE_APP, {
    ...elb.env,
    GRACEFUL_ELB_INSTANCE_ID: INSTANCE,
    FIXTURE_OPTIONS: JSON.stringify({ pollIntervalMs: 200, probeIntervalMs: 100, ...options }),
    ...env,
  });
  t.after(() => app.kill());
  const listening = await app.line((l) => l.fixture === 'listening', 20_000, 'listening');
  return { app, port: listening.port as number };
}

const phaseLine = (app: Forked, phase: string) => app.lines.find((l) => l.phase === phase);

test('SIGTERM under load: registered only after healthy, deregistered before the server closes, zero failed requests, exit 0', async (t) => {
  const elb = await startFakeElb({ inServiceAfterMs: 300, connectionDrainingSeconds: 30 });
  t.after(() => elb.close());
  const { app, port } = await startApp(t, elb, { drainSeconds: 15, quietMs: 500, graceMs: 2000 }, { FIXTURE_HEALTHY_AFTER_MS: '600' });
  await app.line((l) => l.fixture === 'ready', 20_000, 'ready');

  const healthy = app.lines.find((l) => l.fixture === 'healthy')!;
  const register = elb.calls.find((c) => c.action === 'RegisterInstancesWithLoadBalancer')!;
  assert.ok(register.at >= (healthy.at as number), 'never registered before the health route passed');
  assert.equal(elb.stateOf('web', INSTANCE), 'InService');

  const load = startLoad(port, ['/', '/work?ms=30', '/work?ms=120']);
  await waitFor(() => load.result.ok >= 50, 10_000, 'traffic before the signal');
  const signalAt = Date.now();
  app.child.kill('SIGTERM');
  // The balancer stops routing a moment after deregistration: emulate that with the load, 300 ms after the call.
  await waitFor(() => elb.calls.some((c) => c.action === 'DeregisterInstancesFromLoadBalancer'), 10_000, 'deregistration');
  const okAtDeregister = load.result.ok;
  await new Promise((resolve) => setTimeout(resolve, 300));
  load.stop();
  const result = await load.done;
  const exit = await app.exited;

  assert.equal(result.failed, 0, `failed requests: ${result.errors.slice(0, 5).join('; ')}`);
  assert.ok(result.ok > okAtDeregister, 'requests kept being served after deregistration');
  assert.ok(result.closedConnections > 0, 'responses after the signal carried Connection: close');
  assert.equal(exit.code, 0, app.stderr());
  const deregister = elb.calls.find((c) => c.action === 'DeregisterInstancesFromLoadBalancer')!;
  const serverClose = app.lines.find((l) => l.fixture === 'server-close')!;
  assert.ok(deregister.at <= (serverClose.at as number), 'deregistered before the server stopped accepting');
  assert.equal(phaseLine(app, 'drained')?.drain, 'drained');
  assert.ok(exit.at - signalAt < 10_000, 'exited well before drainSeconds');
  const states = ['probing', 'registering', 'joining', 'in-service', 'leaving', 'draining', 'closing', 'closed'];
  assert.deepEqual(app.lines.filter((l) => l.fixture === 'state').map((l) => l.state), states);
  // Over the real IPC channel: one lifecycle message per state, and 'ready' right after in-service.
  const ipc = app.messages.map((m) => (typeof m === 'string' ? m : (m as { state: string }).state));
  assert.deepEqual(ipc, ['starting', 'probing', 'registering', 'joining', 'in-service', 'ready', 'leaving', 'draining', 'closing', 'closed']);
  t.diagnostic(`under load: ${result.ok} requests ok, ${result.ok - okAtDeregister} after deregistration, ${result.closedConnections} with Connection: close; signal to exit ${exit.at - signalAt} ms`);
});

test('an idle instance exits soon after the quiet window, not after drainSeconds', async (t) => {
  const elb = await startFakeElb({ inServiceAfterMs: 0 });
  t.after(() => elb.close());
  const { app } = await startApp(t, elb, { drainSeconds: 60, quietMs: 300 });
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
  const elb = await startFakeElb({ inServiceAfterMs: 0 });
  t.after(() => elb.close());
  elb.throttle(2, 'RegisterInstancesWithLoadBalancer');
  const { app } = await startApp(t, elb, { drainSeconds: 10, quietMs: 200, retryBaseMs: 50 });
  await app.line((l) => l.fixture === 'ready', 20_000, 'ready');
  elb.throttle(2, 'DeregisterInstancesFromLoadBalancer');
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  assert.equal(exit.code, 0);
  for (const action of ['RegisterInstancesWithLoadBalancer', 'DeregisterInstancesFromLoadBalancer']) {
    assert.deepEqual(elb.calls.filter((c) => c.action === action).map((c) => c.status), [400, 400, 200], action);
  }
  assert.equal(app.lines.filter((l) => l.msg === 'balancer API call failed; retrying').length, 4, 'each retry logged');
  assert.equal(phaseLine(app, 'drained')?.drain, 'drained');
});

test('API unreachable at SIGTERM: keeps serving, waits out drainSeconds, exits 0 with the failure logged', async (t) => {
  const elb = await startFakeElb({ inServiceAfterMs: 0 });
  t.after(() => elb.close());
  const { app, port } = await startApp(t, elb, { drainSeconds: 3, quietMs: 200, retryBaseMs: 50, retryMaxAttempts: 3, apiTimeoutMs: 500 });
  await app.line((l) => l.fixture === 'ready', 20_000, 'ready');
  elb.unreachable(true);
  app.child.kill('SIGTERM');
  await app.line((l) => l.phase === 'deregister' && l.level === 50, 10_000, 'the deregistration failure');
  // Still serving after the failure: the balancer may still route here.
  const load = startLoad(port, ['/'], 1);
  await waitFor(() => load.result.ok >= 3, 5000, 'requests served while waiting out drainSeconds');
  load.stop();
  const result = await load.done;
  const exit = await app.exited;
  assert.equal(result.failed, 0);
  assert.equal(exit.code, 0);
  assert.equal(phaseLine(app, 'drained')?.drain, 'deadline');
});

test('a signal during startup: nothing registered, ready rejects with SHUTDOWN_BEFORE_READY, exit 0', async (t) => {
  const elb = await startFakeElb();
  t.after(() => elb.close());
  const { app } = await startApp(t, elb, { drainSeconds: 5, quietMs: 100 }, { FIXTURE_HEALTHY_AFTER_MS: '600000' });
  await app.line((l) => l.fixture === 'state' && l.state === 'probing', 20_000, 'probing');
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  assert.equal(exit.code, 0);
  assert.equal(app.lines.find((l) => l.fixture === 'ready-failed')?.code, 'ERR_GRACEFUL_ELB_SHUTDOWN_BEFORE_READY');
  assert.deepEqual(elb.calls.filter((c) => c.action.toLowerCase().includes('register')), []);
});

test('a second signal during the drain forces exit at once (128 + SIGTERM)', async (t) => {
  const elb = await startFakeElb({ inServiceAfterMs: 0 });
  t.after(() => elb.close());
  const { app, port } = await startApp(t, elb, { drainSeconds: 60, quietMs: 200 });
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
  const elb = await startFakeElb({ inServiceAfterMs: 0 });
  t.after(() => elb.close());
  const { app, port } = await startApp(t, elb, { drainSeconds: 1, quietMs: 100, graceMs: 1000 });
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
  const elb = await startFakeElb();
  t.after(() => elb.close());
  const { app } = await startApp(t, elb, { probeTimeoutMs: 800, exitOnStartupFailure: true, drainSeconds: 2, quietMs: 100 }, { FIXTURE_HEALTH_STATUS: '500' });
  const exit = await app.exited;
  assert.equal(exit.code, 3);
  assert.equal(app.lines.find((l) => l.fixture === 'ready-failed')?.code, 'ERR_GRACEFUL_ELB_HEALTH_NEVER_PASSED');
  assert.deepEqual(elb.calls.filter((c) => c.action.toLowerCase().includes('register')), []);
});

test('health route failing forever, ready never awaited: no crash, still serving, SIGTERM exits 0', async (t) => {
  const elb = await startFakeElb();
  t.after(() => elb.close());
  const { app, port } = await startApp(t, elb, { probeTimeoutMs: 500, drainSeconds: 2, quietMs: 100 }, { FIXTURE_HEALTH_STATUS: '500', FIXTURE_IGNORE_READY: '1' });
  await app.line((l) => l.fixture === 'state' && l.state === 'failed', 20_000, 'failed');
  assert.equal((await oneRequest(port, '/x')).status, 200, 'still serving');
  const failed = app.messages.find((m) => (m as { state?: string }).state === 'failed') as { error?: { code: string } } | undefined;
  assert.equal(failed?.error?.code, 'ERR_GRACEFUL_ELB_HEALTH_NEVER_PASSED');
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  assert.equal(exit.code, 0, app.stderr());
  assert.doesNotMatch(app.stderr(), /Unhandled|unhandled/);
  assert.deepEqual(elb.calls.filter((c) => c.action.toLowerCase().includes('register')), []);
});

// Crashes inside the process, in a real forked app behind the local ELB: an uncaught exception or an unhandled
// rejection leaves the balancer, drains for at most crashDrainSeconds and exits 70 with the error logged; an app with
// its own handlers keeps them; handleCrashes: false leaves Node's own behaviour; an app closing its own server leaves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LocalElb } from '@graceful-elb/local';
import { EXIT_CODES } from '../src/exitCodes.js';
import { forkInstance, instanceHealth, startCoreElb, startCoreElbWithStable } from './helpers/coreElb.js';
import { FIXTURE_APP, type Forked } from './helpers/fork.js';
import { oneRequest, startLoad } from './helpers/load.js';
import { waitFor } from './helpers/waitFor.js';

const INSTANCE = 'i-0c7a5e0000000000a';
const STABLE = 'i-0c7a5e0000000000b';

async function startApp(t: { after(fn: () => unknown): void }, lb: LocalElb, options: Record<string, unknown>, env: Record<string, string> = {}): Promise<{ app: Forked; port: number }> {
  const app = forkInstance(
    lb,
    FIXTURE_APP,
    INSTANCE,
    { FIXTURE_OPTIONS: JSON.stringify({ pollIntervalMs: 200, probeIntervalMs: 100, drainSeconds: 30, quietMs: 300, ...options }), ...env },
    (l) => l.fixture === 'listening',
  );
  t.after(() => app.kill());
  const listening = await app.line((l) => l.fixture === 'listening', 20_000, 'listening');
  await app.line((l) => l.fixture === 'ready', 20_000, 'ready');
  return { app, port: listening.port as number };
}

/** Out of the balancer: not registered, or draining (Classic ELB still says InService then, with this description). */
async function leftBalancer(lb: LocalElb): Promise<boolean> {
  const health = await instanceHealth(lb, 'web', INSTANCE);
  return health.state !== 'InService' || /deregistration currently in progress/.test(health.description);
}

const deregistrations = (lb: LocalElb) => lb.calls().filter((c) => c.action === 'DeregisterInstancesFromLoadBalancer' && c.instanceIds.includes(INSTANCE));

for (const kind of ['exception', 'rejection'] as const) {
  test(`an unhandled ${kind} under load: logged, the balancer left, drained, exit ${EXIT_CODES.crashed}; only the crashing request fails`, async (t) => {
    const lb = await startCoreElbWithStable(t, STABLE);
    const { app, port } = await startApp(t, lb, { crashDrainSeconds: 5 });

    const listener = lb.listeners.find((l) => l.balancer === 'web')!;
    const load = startLoad(listener.port, ['/', '/work?ms=40']);
    t.after(() => load.stop());
    await waitFor('traffic to both instances', () => load.result.ok >= 40 && (lb.status().instances[INSTANCE]?.routed ?? 0) >= 10, 10_000);
    const crashAt = Date.now();
    const crashing = oneRequest(port, `/crash?kind=${kind}`);
    const exit = await app.exited;
    load.stop();
    const result = await load.done;
    const crashed = await crashing;

    assert.equal(exit.code, EXIT_CODES.crashed, app.stderr());
    const fatal = app.lines.find((l) => l.phase === 'crash' && l.level === 60);
    assert.ok(fatal, 'the crash is logged at fatal');
    assert.match(String((fatal.err as { message?: string }).message), /fixture (crash|rejection) on purpose/, 'with the error itself');
    assert.equal(deregistrations(lb).length, 1, 'left the balancer');
    assert.ok(exit.at - crashAt < 5000 + 5000 + 3000, `bounded by crashDrainSeconds + graceMs: ${exit.at - crashAt} ms`);
    assert.equal(result.failed, 0, `requests through the balancer: ${result.errors.slice(0, 5).join('; ')}`);
    if (kind === 'exception') assert.ok(crashed.error !== undefined, 'the request that threw has no answer (its socket is destroyed at the close)');
    else assert.equal(crashed.status, 202);
    assert.ok(await leftBalancer(lb));
    t.diagnostic(`${kind}: ${result.ok} ok, ${result.failed} failed through the balancer; crash to exit ${exit.at - crashAt} ms`);
  });
}

test('an app with its own uncaughtException and unhandledRejection listeners keeps them: no shutdown, still in service', async (t) => {
  const lb = await startCoreElb();
  t.after(() => lb.close());
  const { app, port } = await startApp(t, lb, {}, { FIXTURE_OWN_CRASH_HANDLER: '1' });
  assert.equal((await oneRequest(port, '/crash?kind=rejection')).status, 202);
  void oneRequest(port, '/crash?kind=exception');
  await waitFor("the app's own handler, twice", () => app.lines.filter((l) => l.fixture === 'own-crash-handler').length === 2, 10_000);
  await waitFor('the library saying it stays out', () => app.lines.filter((l) => l.phase === 'crash' && l.level === 40).length === 2, 10_000);
  assert.equal((await oneRequest(port, '/')).status, 200, 'still serving');
  assert.equal(deregistrations(lb).length, 0);
  assert.equal((await instanceHealth(lb, 'web', INSTANCE)).state, 'InService');
  assert.equal(app.child.exitCode, null);
});

test('handleCrashes: false installs nothing: Node crashes the process at once (exit 1), still registered', async (t) => {
  const lb = await startCoreElb();
  t.after(() => lb.close());
  const { app, port } = await startApp(t, lb, { handleCrashes: false });
  void oneRequest(port, '/crash?kind=exception');
  const exit = await app.exited;
  assert.equal(exit.code, 1);
  assert.match(app.stderr(), /fixture crash on purpose/);
  assert.equal(deregistrations(lb).length, 0, 'nothing left the balancer: that is what the supervisor is for');
});

test('the app closes its own server: the library says so and leaves the balancer; the process then ends by itself, exit 0', async (t) => {
  const lb = await startCoreElb();
  t.after(() => lb.close());
  const { app, port } = await startApp(t, lb, {});
  assert.equal((await oneRequest(port, '/close-server')).status, 200);
  const exit = await app.exited;
  assert.equal(exit.code, 0);
  assert.ok(app.lines.some((l) => l.phase === 'server-closed' && l.level === 40 && /closed its server itself/.test(String(l.msg))));
  assert.equal(deregistrations(lb).length, 1);
  assert.ok(await leftBalancer(lb));
});

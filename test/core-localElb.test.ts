// The library against the project's local ELB: identity from its IMDS (token required), health checks and traffic
// through its Classic data plane, a second instance that stays in service. The client talks only to the balancer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegisterInstancesWithLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { startLocalElb } from '@graceful-elb/local';
import { clientsFor, startBackend } from '../packages/local/test/mock-helpers.js';
import { fork, FIXTURE_APP } from './helpers/fork.js';
import { startLoad } from './helpers/load.js';
import { waitFor } from './helpers/waitFor.js';

const APP = 'i-0a1b2c3d4e5f60718';

test('local ELB: joins via IMDS identity and health checks, leaves under load through the listener with zero failed requests', async (t) => {
  const stable = await startBackend('stable');
  t.after(() => stable.close());
  const lb = await startLocalElb({
    listenerPorts: 'ephemeral',
    logger: false,
    instances: { 'i-stable': stable.address },
    imds: { instanceId: APP, region: 'us-east-1', requireToken: true },
  });
  t.after(() => lb.close());
  await clientsFor(lb).classic.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: 'i-stable' }] }));

  // The balancer learns the app's address as soon as it listens, before the library (probing itself first) registers.
  const app = fork(FIXTURE_APP, { ...lb.env, FIXTURE_OPTIONS: JSON.stringify({ drainSeconds: 20, pollIntervalMs: 250 }) }, (l) => {
    if (l.fixture === 'listening') lb.setInstanceAddress(APP, `127.0.0.1:${l.port as number}`);
  });
  t.after(() => app.kill());
  await app.line((l) => l.fixture === 'listening', 20_000, 'listening');
  await app.line((l) => l.fixture === 'ready', 30_000, 'ready (InService through health checks)');
  const identity = app.lines.find((l) => l.phase === 'identity');
  assert.deepEqual([identity?.instanceId, identity?.source], [APP, 'imds']);

  const listener = lb.listeners.find((l) => l.balancer === 'web');
  assert.ok(listener);
  const load = startLoad(listener.port, ['/', '/work?ms=20', '/work?ms=80'], 6);
  t.after(() => load.stop());
  await waitFor('traffic routed to the app', () => (lb.status().instances[APP]?.routed ?? 0) >= 20, 20_000);
  const routedToApp = lb.status().instances[APP]?.routed ?? 0;
  const signalAt = Date.now();
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  // Keep the load on a little longer: the balancer must now send everything to the stable instance.
  const okAtExit = load.result.ok;
  await waitFor('traffic after the exit', () => load.result.ok >= okAtExit + 50, 20_000);
  load.stop();
  const result = await load.done;

  assert.equal(exit.code, 0, app.stderr());
  assert.equal(result.failed, 0, `failed: ${result.errors.slice(0, 5).join('; ')}`);
  assert.equal(app.lines.find((l) => l.phase === 'drained')?.drain, 'drained');
  t.diagnostic(
    `local ELB: ${result.ok} requests ok, 0 failed; ${routedToApp} routed to the leaving instance before the signal; signal to exit ${exit.at - signalAt} ms (propagation delay 1000 ms, quietMs 1000)`,
  );
});

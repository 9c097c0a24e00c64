import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { startApp, startLoad, type App } from './helpers/tgApps.js';
import { fetchText, recordingClients, startTgLocalElb } from './helpers/tgLocalElb.js';

// Real processes behind an ALB target group on the local ELB: forked apps configured by env, real SIGTERM, traffic
// through the ALB listener. A rolling restart of three instances loses no request, and an idle instance exits long
// before the group's 300 s deregistration delay ends.

const EXAMPLE_APP = fileURLToPath(new URL('../examples/app.mjs', import.meta.url));
const DEREGISTRATION_DELAY_SECONDS = 300;

test('rolling restart of 3 instances behind an ALB target group, one at a time, with zero failed requests', async (t) => {
  const setup = await startTgLocalElb({ deregistrationDelaySeconds: DEREGISTRATION_DELAY_SECONDS });
  t.after(() => setup.lb.close());
  const apps: App[] = [];
  t.after(() => apps.forEach((a) => a.child.kill('SIGKILL')));
  const start = (id: string): App => {
    const app = startApp(setup, id);
    apps.push(app);
    return app;
  };

  const ids = ['i-0a000000000000001', 'i-0b000000000000002', 'i-0c000000000000003'];
  let current = ids.map(start);
  await Promise.all(current.map((a) => a.ready));
  const load = startLoad(setup.urls['web-alb']!, 6);

  const stops: number[] = [];
  for (const [i, id] of ids.entries()) {
    // Let every instance take traffic for a moment, then restart this one: stop, start anew, wait until in service.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const old = current[i]!;
    const signalAt = Date.now();
    old.child.kill('SIGTERM');
    const exit = await old.exited;
    stops.push(Date.now() - signalAt);
    assert.deepEqual(exit, { code: 0, signal: null }, old.output.join(''));
    const fresh = start(id);
    await fresh.ready;
    current = current.map((a, j) => (j === i ? fresh : a));
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const { ok, failures, byProcess } = await load.stop();

  assert.deepEqual(failures, [], `no request failed (${ok} succeeded)`);
  assert.ok(ok > 200, `traffic flowed throughout (${ok} requests)`);
  assert.equal(byProcess.size, 6, `all six processes (three old, three new) served requests: ${[...byProcess.keys()].join(', ')}`);
  for (const stopMs of stops) assert.ok(stopMs < 20_000, `a loaded instance stopped in ${stopMs} ms`);
  console.log(JSON.stringify({ requests: ok, failed: failures.length, signalToExitMs: stops }));

  await Promise.all(current.map(async (a) => (a.child.kill('SIGTERM'), a.exited)));
});

test(`an idle instance exits long before the ${DEREGISTRATION_DELAY_SECONDS} s deregistration delay, while the group still says draining`, async (t) => {
  const setup = await startTgLocalElb({ deregistrationDelaySeconds: DEREGISTRATION_DELAY_SECONDS });
  t.after(() => setup.lb.close());
  const { v2 } = recordingClients(setup.lb);
  t.after(() => v2.destroy());
  const id = 'i-0d1e0000000000004';
  const app = startApp(setup, id);
  t.after(() => app.child.kill('SIGKILL'));
  await app.ready;
  assert.equal((await fetchText(`${setup.urls['web-alb']}/`)).status, 200);

  const signalAt = Date.now();
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  const exitMs = Date.now() - signalAt;
  assert.deepEqual(exit, { code: 0, signal: null }, app.output.join(''));
  assert.ok(exitMs < 15_000, `exited ${exitMs} ms after SIGTERM (the delay is ${DEREGISTRATION_DELAY_SECONDS} s)`);
  const health = await v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: setup.arns['web-tg'], Targets: [{ Id: id, Port: app.port }] }));
  assert.equal(health.TargetHealthDescriptions?.[0]?.TargetHealth?.State, 'draining', 'the balancer still drains; the process did not wait for it');
  console.log(JSON.stringify({ idleSignalToExitMs: exitMs, deregistrationDelaySeconds: DEREGISTRATION_DELAY_SECONDS }));
});

test('the canonical example app joins a target group by env alone (GRACEFUL_ELB_TARGET_GROUP_ARNS), and leaves on SIGTERM', async (t) => {
  // examples/app.mjs imports the package by name (dist/): `npm test` builds first.
  const setup = await startTgLocalElb();
  t.after(() => setup.lb.close());
  const app = startApp(setup, 'i-0e7a0000000000005', [EXAMPLE_APP], { PORT: '0' });
  t.after(() => app.child.kill('SIGKILL'));
  await app.ready;
  const targets = setup.lb.status().targetGroups.find((g) => g.name === 'web-tg')!.targets;
  assert.deepEqual(targets.map((x) => [x.instanceId, x.state]), [['i-0e7a0000000000005', 'healthy']], 'in the group, not in the Classic ELB the code names');
  assert.match((await fetchText(`${setup.urls['web-alb']}/`)).body, /hello from/);
  app.child.kill('SIGTERM');
  assert.deepEqual(await app.exited, { code: 0, signal: null }, app.output.join(''));
});

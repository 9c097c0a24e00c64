// The example apps as published (they import 'graceful-elb', i.e. dist/: `npm run build` first; `npm test` does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startFakeElb } from './helpers/fakeElb.js';
import { fork } from './helpers/fork.js';
import { oneRequest } from './helpers/load.js';

const example = (name: string): string => fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)));

for (const [name, framework] of [
  ['app.mjs', 'node:http'],
  ['express.mjs', 'Express'],
] as const) {
  test(`examples/${name} (${framework}): joins, and on SIGTERM answers health 503 itself, finishes the request in flight, leaves, exits 0`, async (t) => {
    assert.ok(built, 'dist/ is missing: run `npm run build` first');
    const elb = await startFakeElb({ inServiceAfterMs: 0 });
    t.after(() => elb.close());
    const app = fork(example(name), { ...elb.env, PORT: '0', GRACEFUL_ELB_INSTANCE_ID: 'i-0example0000000001', GRACEFUL_ELB_DRAIN_SECONDS: '20' });
    t.after(() => app.kill());
    const listening = await app.line((l) => typeof l.msg === 'string' && l.msg.endsWith('app listening'), 20_000, 'listening');
    const port = listening.port as number;
    await app.line((l) => l.phase === 'ready', 20_000, 'ready');
    assert.equal(elb.stateOf('web', 'i-0example0000000001'), 'InService');
    assert.equal((await oneRequest(port, '/ping')).status, 200);

    const inFlight = oneRequest(port, '/work?ms=1500');
    await new Promise((resolve) => setImmediate(resolve));
    app.child.kill('SIGTERM');
    await app.line((l) => l.phase === 'signal', 10_000, 'the signal');
    const health = await oneRequest(port, '/ping');
    assert.equal(health.status, 503, 'the library answers the health route, not the app');
    assert.equal((await inFlight).status, 200, 'the request in flight at the signal completed');
    const exit = await app.exited;
    assert.equal(exit.code, 0, app.stderr());
    assert.deepEqual(
      elb.calls.map((c) => c.action).filter((a) => a.toLowerCase().includes('register')),
      ['RegisterInstancesWithLoadBalancer', 'DeregisterInstancesFromLoadBalancer'],
    );
  });
}

test('examples/app.mjs with GRACEFUL_ELB_DISABLE=1: the naive baseline registers nothing and dies on SIGTERM', async (t) => {
  assert.ok(built, 'dist/ is missing: run `npm run build` first');
  const elb = await startFakeElb();
  t.after(() => elb.close());
  const app = fork(example('app.mjs'), { ...elb.env, PORT: '0', GRACEFUL_ELB_DISABLE: '1', GRACEFUL_ELB_INSTANCE_ID: 'i-1' });
  t.after(() => app.kill());
  const listening = await app.line((l) => l.msg === 'example app listening', 20_000, 'listening');
  assert.equal((await oneRequest(listening.port as number, '/ping')).status, 200);
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  assert.equal(exit.signal, 'SIGTERM');
  assert.deepEqual(elb.calls, []);
});

// The example apps as published (they import 'graceful-elb', i.e. dist/: `npm run build` first; `npm test` does),
// behind the project's local ELB: real health checks, traffic through its Classic listener.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkInstance, instanceHealth, startCoreElb } from './helpers/coreElb.js';
import { fork } from './helpers/fork.js';
import { oneRequest } from './helpers/load.js';
import { waitFor } from './helpers/waitFor.js';

const example = (name: string): string => fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)));
const ID = 'i-0e0a0b0c0d0e0f001';
const isListening = (l: Record<string, unknown>): boolean => typeof l.msg === 'string' && l.msg.endsWith('app listening');

for (const [name, framework] of [
  ['app.mjs', 'node:http'],
  ['express.mjs', 'Express'],
] as const) {
  test(`examples/${name} (${framework}): joins, and on SIGTERM answers health 503 itself, finishes the request in flight, leaves, exits 0`, async (t) => {
    assert.ok(built, 'dist/ is missing: run `npm run build` first');
    const lb = await startCoreElb();
    t.after(() => lb.close());
    const app = forkInstance(lb, example(name), ID, { PORT: '0', GRACEFUL_ELB_DRAIN_SECONDS: '20' }, isListening);
    t.after(() => app.kill());
    const listening = await app.line(isListening, 20_000, 'listening');
    const port = listening.port as number;
    await app.line((l) => l.phase === 'ready', 20_000, 'ready');
    assert.equal((await instanceHealth(lb, 'web', ID)).state, 'InService');
    assert.equal((await oneRequest(port, '/ping')).status, 200);

    // A request through the balancer, in the app when the signal comes.
    const listener = lb.listeners.find((l) => l.balancer === 'web')!;
    const inFlight = oneRequest(listener.port, '/work?ms=1500');
    await waitFor('the request in flight through the balancer', () => (lb.status().instances[ID]?.inFlight ?? 0) === 1, 10_000);
    app.child.kill('SIGTERM');
    await app.line((l) => l.phase === 'signal', 10_000, 'the signal');
    const health = await oneRequest(port, '/ping');
    assert.equal(health.status, 503, 'the library answers the health route, not the app');
    assert.equal((await inFlight).status, 200, 'the request in flight at the signal completed');
    const exit = await app.exited;
    assert.equal(exit.code, 0, app.stderr());
    assert.deepEqual(
      lb
        .calls()
        .map((c) => c.action ?? '')
        .filter((a) => a.toLowerCase().includes('register')),
      ['RegisterInstancesWithLoadBalancer', 'DeregisterInstancesFromLoadBalancer'],
    );
  });
}

test('examples/app.mjs with GRACEFUL_ELB_DISABLE=1: the naive baseline registers nothing and dies on SIGTERM', async (t) => {
  assert.ok(built, 'dist/ is missing: run `npm run build` first');
  const lb = await startCoreElb();
  t.after(() => lb.close());
  const app = forkInstance(lb, example('app.mjs'), ID, { PORT: '0', GRACEFUL_ELB_DISABLE: '1' }, isListening);
  t.after(() => app.kill());
  const listening = await app.line((l) => l.msg === 'example app listening', 20_000, 'listening');
  assert.equal((await oneRequest(listening.port as number, '/ping')).status, 200);
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  assert.equal(exit.signal, 'SIGTERM');
  assert.deepEqual(lb.calls(), []);
});

test('examples/app.mjs with no access keys in its env: the SDK default chain takes the instance role from IMDS; it joins and leaves', async (t) => {
  assert.ok(built, 'dist/ is missing: run `npm run build` first');
  const lb = await startCoreElb();
  t.after(() => lb.close());
  // What an EC2 instance has: a region and the metadata endpoint, no keys, no ~/.aws files.
  const { AWS_ACCESS_KEY_ID: _key, AWS_SECRET_ACCESS_KEY: _secret, ...env } = lb.env;
  const dir = await mkdtemp(join(tmpdir(), 'graceful-elb-imds-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const noFile = join(dir, 'absent');
  const app = fork(example('app.mjs'), { ...env, AWS_SHARED_CREDENTIALS_FILE: noFile, AWS_CONFIG_FILE: noFile, GRACEFUL_ELB_INSTANCE_ID: ID, PORT: '0', GRACEFUL_ELB_DRAIN_SECONDS: '20' }, (line) => {
    if (isListening(line) && typeof line.port === 'number') lb.setInstanceAddress(ID, `127.0.0.1:${line.port}`);
  });
  t.after(() => app.kill());
  assert.equal(Object.keys(env).some((k) => k === 'AWS_ACCESS_KEY_ID' || k === 'AWS_SECRET_ACCESS_KEY'), false);
  await app.line((l) => l.phase === 'ready', 30_000, 'ready');
  assert.equal((await instanceHealth(lb, 'web', ID)).state, 'InService');

  const role = await (await fetch(`${lb.endpoint}/latest/meta-data/iam/security-credentials/`)).text();
  const served = (await (await fetch(`${lb.endpoint}/latest/meta-data/iam/security-credentials/${role}`)).json()) as { AccessKeyId: string };
  app.child.kill('SIGTERM');
  assert.equal((await app.exited).code, 0, app.stderr());
  const calls = lb.calls().filter((c) => c.action === 'RegisterInstancesWithLoadBalancer' || c.action === 'DeregisterInstancesFromLoadBalancer');
  assert.deepEqual(calls.map((c) => [c.action, c.status]), [['RegisterInstancesWithLoadBalancer', 200], ['DeregisterInstancesFromLoadBalancer', 200]]);
  for (const call of calls) assert.equal(call.accessKeyId, served.AccessKeyId, 'signed with the temporary key IMDS served (ASIA…), no static key');
  assert.match(served.AccessKeyId, /^ASIA/);
});

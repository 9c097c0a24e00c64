// The Auto Scaling and Spot pieces on their own: options (bad input names the field), the IMDS reader (one token for
// many reads), and the watchers (stop asking when there is nothing to watch), against a real HTTP IMDS on port 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidOptionError } from '../src/errors.js';
import { createImdsReader } from '../src/autoScaling/imdsReader.js';
import { watchTargetLifecycleState } from '../src/autoScaling/lifecycleWatcher.js';
import { NOTICE_DEFAULTS, resolveNoticeOptions } from '../src/autoScaling/noticeOptions.js';
import { watchSpot, type SpotNotice } from '../src/autoScaling/spotWatcher.js';
import { waitFor } from './helpers/waitFor.js';

/** A tiny IMDS: `items` answered 200 (others 404), every request counted by method and path. */
async function fakeImds(items: Map<string, string>): Promise<{ endpoint: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === 'PUT' && req.url === '/latest/api/token') return void res.end('token-1');
    if (req.headers['x-aws-ec2-metadata-token'] !== 'token-1') return void res.writeHead(401).end();
    const item = items.get((req.url ?? '').replace(/^\/latest\//, ''));
    if (item === undefined) return void res.writeHead(404).end();
    res.end(item);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

test('options: defaults on, env overrides, and bad values named by option or env var', () => {
  const resolved = resolveNoticeOptions({}, {});
  assert.deepEqual(resolved.autoScaling, { groupName: undefined, terminationHookName: undefined, deploymentLeave: NOTICE_DEFAULTS.deploymentLeave });
  assert.deepEqual(resolved.spot, { rebalance: false });
  assert.equal(resolved.intervalMs, NOTICE_DEFAULTS.noticeIntervalMs);
  assert.equal(resolveNoticeOptions({ autoScaling: false, spot: false }, {}).autoScaling, undefined);
  const fromEnv = resolveNoticeOptions({}, { GRACEFUL_ELB_AUTO_SCALING_GROUP: 'g', GRACEFUL_ELB_DEPLOYMENT_LEAVE: 'standby', GRACEFUL_ELB_SPOT: '0', GRACEFUL_ELB_NOTICE_INTERVAL_MS: '1000' });
  assert.equal(fromEnv.autoScaling?.groupName, 'g');
  assert.equal(fromEnv.autoScaling?.deploymentLeave, 'standby');
  assert.equal(fromEnv.spot, undefined);
  assert.equal(fromEnv.intervalMs, 1000);
  const named = (run: () => unknown, option: string): void =>
    assert.throws(run, (err: unknown) => err instanceof InvalidOptionError && err.option === option && err.message.includes(option));
  assert.deepEqual(resolveNoticeOptions({ autoScaling: true, spot: true }, {}).spot, { rebalance: false });
  named(() => resolveNoticeOptions({ autoScaling: 'yes' as never }, {}), 'autoScaling');
  named(() => resolveNoticeOptions({ noticeIntervalMs: 50 }, {}), 'noticeIntervalMs');
  named(() => resolveNoticeOptions({}, { GRACEFUL_ELB_NOTICE_INTERVAL_MS: 'often' }), 'GRACEFUL_ELB_NOTICE_INTERVAL_MS');
  named(() => resolveNoticeOptions({ autoScaling: { deploymentLeave: 'detach' as 'standby' } }, {}), 'autoScaling.deploymentLeave');
  named(() => resolveNoticeOptions({ autoScaling: { groupname: 'x' } as never }, {}), 'autoScaling.groupname');
  named(() => resolveNoticeOptions({ spot: { rebalance: 'yes' as never } }, {}), 'spot.rebalance');
  named(() => resolveNoticeOptions({}, { GRACEFUL_ELB_SPOT: 'maybe' }), 'GRACEFUL_ELB_SPOT');
  named(() => resolveNoticeOptions({ autoScalingClient: {} as never }, {}), 'autoScalingClient');
});

test('the IMDS reader fetches one token for many reads, tells 404 from an answer, and keeps the endpoint path', async (t) => {
  const imds = await fakeImds(new Map([['meta-data/instance-life-cycle', 'spot']]));
  t.after(() => imds.server.close());
  const reader = createImdsReader({ env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint }, timeoutMs: 1000 });
  for (let i = 0; i < 5; i++) assert.deepEqual(await reader.read('meta-data/instance-life-cycle'), { status: 200, text: 'spot' });
  assert.equal((await reader.read('meta-data/spot/instance-action')).status, 404);
  assert.equal(imds.requests.filter((r) => r.startsWith('PUT')).length, 1);
  assert.equal(imds.requests.length, 7);
  const silent = createServer(() => undefined); // accepts, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => silent.close());
  const stuck = createImdsReader({ env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` }, timeoutMs: 300 });
  const started = Date.now();
  await assert.rejects(stuck.read('meta-data/instance-id'), /within 300 ms/);
  assert.ok(Date.now() - started < 5000);
  silent.closeAllConnections();
});

test('the lifecycle watcher asks once when the instance is in no group, and reports each change otherwise', async (t) => {
  const items = new Map<string, string>();
  const imds = await fakeImds(items);
  t.after(() => imds.server.close());
  const reader = createImdsReader({ env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint }, timeoutMs: 1000 });
  const controller = new AbortController();
  const none = await watchTargetLifecycleState({ reader, intervalMs: 100, signal: controller.signal, onState: () => assert.fail('no state') });
  assert.equal(none, 'not-in-group');
  assert.equal(imds.requests.filter((r) => r.includes('target-lifecycle-state')).length, 1);

  items.set('meta-data/autoscaling/target-lifecycle-state', 'InService');
  const seen: string[] = [];
  const watching = watchTargetLifecycleState({ reader, intervalMs: 50, signal: controller.signal, onState: (state) => seen.push(state) });
  await waitFor('InService', () => seen.length === 1, 5000);
  items.set('meta-data/autoscaling/target-lifecycle-state', 'Standby');
  await waitFor('Standby', () => seen.length === 2, 5000);
  controller.abort();
  await assert.rejects(watching, { name: 'AbortError' });
  assert.deepEqual(seen, ['InService', 'Standby']);
  const unreachable = createImdsReader({ env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' }, timeoutMs: 500 });
  assert.equal(await watchTargetLifecycleState({ reader: unreachable, intervalMs: 50, signal: new AbortController().signal, onState: () => undefined }), 'imds-unreachable');
});

test('the Spot watcher stops on an on-demand instance and reports the notice with its time on a Spot one', async (t) => {
  const items = new Map([['meta-data/instance-life-cycle', 'on-demand']]);
  const imds = await fakeImds(items);
  t.after(() => imds.server.close());
  const reader = createImdsReader({ env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint }, timeoutMs: 1000 });
  const onNotice = (): void => assert.fail('no notice');
  assert.equal(await watchSpot({ reader, intervalMs: 50, rebalance: false, signal: new AbortController().signal, onNotice }), 'not-spot');
  assert.ok(imds.requests.every((r) => !r.includes('instance-action')), 'never asked for a notice');

  items.set('meta-data/instance-life-cycle', 'spot');
  const notices: SpotNotice[] = [];
  const watching = watchSpot({ reader, intervalMs: 50, rebalance: true, signal: new AbortController().signal, onNotice: (n) => notices.push(n) });
  await waitFor('polling both items', () => imds.requests.filter((r) => r.includes('rebalance')).length >= 2, 5000);
  items.set('meta-data/spot/instance-action', '{"action":"stop","time":"2030-01-01T00:02:00Z"}');
  assert.equal(await watching, 'notice');
  assert.deepEqual(notices, [{ kind: 'interruption', action: 'stop', time: new Date('2030-01-01T00:02:00Z') }]);
});

test('importing the library (CommonJS build) does not load the Auto Scaling SDK', async () => {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const dist = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));
  const script = `require(${JSON.stringify(dist)}); console.log(Object.keys(require.cache).filter((k) => k.includes('client-auto-scaling')).length)`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), '0');
  // The control: once required, the SDK is found the same way.
  const control = spawnSync(process.execPath, ['-e', script.replace('require(', "require('@aws-sdk/client-auto-scaling'); require(")], { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)) });
  assert.notEqual(control.stdout.trim(), '0', control.stderr);
});

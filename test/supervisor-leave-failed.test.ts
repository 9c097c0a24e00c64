// The whole chain when the balancer API hangs at deployment time: the real library under the real supervisor,
// the real AWS SDK to the local ELB through an endpoint that stops answering. `graceful-elb stop` must not report
// success while the instance may still be registered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { LocalElb } from '@graceful-elb/local';
import { startCoreElb } from './helpers/coreElb.js';
import { startStallingApi, type StallingApi } from './helpers/stallingApi.js';
import { readLines, readState, repoRoot, runCli, tempStateDir } from './helpers/supervisorHarness.js';
import { waitFor } from './helpers/waitFor.js';

const ID = 'i-0a1b2c3d4e5f60718';
const APP = join(repoRoot, 'test', 'fixtures', 'library-app.mjs');
const DRAIN_SECONDS = 2;

/** Starts the app under the supervisor and waits until the balancer reports it in service. */
async function startInService(stateDir: string, lb: LocalElb, api: StallingApi): Promise<void> {
  const env = { ...lb.env, AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING: api.url, GRACEFUL_ELB_NAME: 'web', GRACEFUL_ELB_INSTANCE_ID: ID, GRACEFUL_ELB_DRAIN_SECONDS: String(DRAIN_SECONDS) };
  const started = await runCli(['start', '--state-dir', stateDir, APP], { env });
  assert.equal(started.code, 0, started.stderr);
  // The app listens on an ephemeral port: the balancer learns it from the app's own log line.
  const port = await waitFor('the app listening', () => {
    const line = readLines(join(stateDir, 'app', 'app.out.log')).find((l) => l.startsWith('library-app listening on port'));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  });
  lb.setInstanceAddress(ID, `127.0.0.1:${port}`);
  await waitFor('the app in service', () => readState(stateDir)?.lifecycle?.state === 'in-service', 30_000);
}

test('the balancer API hangs at stop: the app exits 4 within drainSeconds + graceMs, stop says the instance may still be registered and exits 4; --accept-leave-failure exits 0', async (t) => {
  const lb = await startCoreElb();
  t.after(() => lb.close());
  const api = await startStallingApi('pass', lb.endpoint);
  t.after(() => api.close());
  const stateDir = tempStateDir(t);

  await startInService(stateDir, lb, api);
  api.mode = 'silent';
  const stopped = await runCli(['stop', '--state-dir', stateDir]);
  assert.equal(stopped.code, 4, `${stopped.stdout}\n${stopped.stderr}`);
  assert.match(stopped.stdout, /exited with code 4/);
  assert.match(stopped.stderr, /may still be registered.*Could not leave elb\/web/);
  assert.ok(stopped.elapsedMs < (DRAIN_SECONDS + 1) * 1000 + 5000, `stop took ${stopped.elapsedMs} ms`);
  const final = readState(stateDir);
  assert.equal(final?.lifecycle?.error?.code, 'ERR_GRACEFUL_ELB_LEAVE_FAILED');
  assert.ok(api.received.silent >= 1, 'the deregistration met the hanging API');

  // The documented way to accept it: same warning, exit 0.
  api.mode = 'pass';
  await startInService(stateDir, lb, api);
  api.mode = 'silent';
  const accepted = await runCli(['stop', '--state-dir', stateDir, '--accept-leave-failure']);
  assert.equal(accepted.code, 0, accepted.stderr);
  assert.match(accepted.stderr, /may still be registered.*accepted/);
});

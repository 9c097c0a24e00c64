import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureApp, isAlive, readState, runCli, tempStateDir } from './helpers/supervisorHarness.js';
import { waitFor } from './helpers/waitFor.js';

async function startInService(stateDir: string, env: NodeJS.ProcessEnv = {}, extra: string[] = []) {
  const started = await runCli(['start', '--state-dir', stateDir, ...extra, fixtureApp], { env });
  assert.equal(started.code, 0, started.stderr);
  return waitFor('the app in service', () => {
    const state = readState(stateDir);
    return state?.lifecycle?.state === 'in-service' && state.app.process ? state : undefined;
  });
}

test('stop: a well-behaved app gets SIGTERM, drains and exits; stop waits for it and exits 0', async (t) => {
  const stateDir = tempStateDir(t);
  const state = await startInService(stateDir, { FIXTURE_DRAIN_MS: '600' });
  const appPid = state.app.process?.pid ?? 0;

  const stopped = await runCli(['stop', '--state-dir', stateDir]);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, new RegExp(`app pid ${appPid} exited with code 0 [\\d.]+ s after SIGTERM`));
  // stop returned only after both processes were gone.
  assert.equal(isAlive(appPid), false);
  assert.equal(isAlive(state.supervisor.pid), false);
  // The app saw SIGTERM (not SIGKILL) and ran its drain to the end.
  assert.ok(stopped.elapsedMs >= 600, `stop returned after ${stopped.elapsedMs} ms, before the 600 ms drain`);
  const final = readState(stateDir);
  assert.equal(final?.status, 'stopped');
  assert.equal(final?.lifecycle?.state, 'closed');
  assert.deepEqual([final?.lastExit?.code, final?.lastExit?.signal], [0, null]);
  assert.equal(final?.stop?.escalatedAt, undefined);
  assert.match(readFileSync(join(stateDir, 'app', 'app.out.log'), 'utf8'), /fixture drained and closed/);
  assert.equal(existsSync(join(stateDir, 'app', 'supervisor.lock')), false);
});

test('stop: an app ignoring SIGTERM is killed with SIGKILL after the bound; stop exits 1 and says so', async (t) => {
  const stateDir = tempStateDir(t);
  const state = await startInService(stateDir, { FIXTURE_BEHAVIOUR: 'ignore-sigterm' });
  const appPid = state.app.process?.pid ?? 0;

  const stopped = await runCli(['stop', '--state-dir', stateDir, '--timeout', '1.5']);
  assert.equal(stopped.code, 1);
  assert.match(
    stopped.stderr,
    new RegExp(`ERR_GRACEFUL_ELB_STOP_TIMEOUT.*\\(pid ${appPid}\\) did not exit within 1.5 s of SIGTERM; it was killed with SIGKILL`),
  );
  assert.ok(stopped.elapsedMs >= 1500, `SIGKILL came after ${stopped.elapsedMs} ms, before the bound`);
  assert.ok(stopped.elapsedMs < 15_000, `stop took ${stopped.elapsedMs} ms`);
  assert.equal(isAlive(appPid), false);
  assert.equal(isAlive(state.supervisor.pid), false);
  const final = readState(stateDir);
  // It did get SIGTERM first: the fixture reported 'leaving'.
  assert.equal(final?.lifecycle?.state, 'leaving');
  assert.equal(final?.lastExit?.signal, 'SIGKILL');
  assert.ok(final?.stop?.escalatedAt);
  assert.match(final?.reason ?? '', /killed with SIGKILL after 1.5 s/);
});

test('stop without --timeout applies the bound recorded by start (--stop-timeout, else drainSeconds + margin)', async (t) => {
  const stateDir = tempStateDir(t);
  const state = await startInService(stateDir, { FIXTURE_BEHAVIOUR: 'ignore-sigterm' }, ['--stop-timeout', '1']);
  assert.equal(state.stopTimeoutSeconds, 1);
  const stopped = await runCli(['stop', '--state-dir', stateDir]);
  assert.equal(stopped.code, 1);
  assert.match(stopped.stderr, /did not exit within 1 s of SIGTERM/);

  const other = tempStateDir(t);
  const derived = await startInService(other, { GRACEFUL_ELB_DRAIN_SECONDS: '7' });
  assert.equal(derived.stopTimeoutSeconds, 7 + 15);
  assert.equal((await runCli(['stop', '--state-dir', other])).code, 0);
});

test('stop with nothing running exits 0: never started, and stopped twice', async (t) => {
  const stateDir = tempStateDir(t);
  const never = await runCli(['stop', '--state-dir', stateDir]);
  assert.equal(never.code, 0, never.stderr);
  assert.match(never.stdout, /nothing running in /);

  await startInService(stateDir);
  assert.equal((await runCli(['stop', '--state-dir', stateDir])).code, 0);
  const again = await runCli(['stop', '--state-dir', stateDir]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /nothing running in .* \(last status: stopped\)/);
});

test('SIGTERM to the supervisor itself (a system shutdown) stops the app gracefully', async (t) => {
  const stateDir = tempStateDir(t);
  const state = await startInService(stateDir);
  process.kill(state.supervisor.pid, 'SIGTERM');
  await waitFor('the supervisor to exit', () => !isAlive(state.supervisor.pid));
  const final = readState(stateDir);
  assert.equal(final?.status, 'stopped');
  assert.deepEqual([final?.lastExit?.code, final?.lifecycle?.state], [0, 'closed']);
  assert.equal(isAlive(state.app.process?.pid ?? 0), false);
});

test('stop still stops the app when its supervisor was killed with SIGKILL', async (t) => {
  const stateDir = tempStateDir(t);
  const state = await startInService(stateDir);
  const appPid = state.app.process?.pid ?? 0;
  process.kill(state.supervisor.pid, 'SIGKILL');
  await waitFor('the supervisor to die', () => !isAlive(state.supervisor.pid));
  assert.equal(isAlive(appPid), true);

  const stopped = await runCli(['stop', '--state-dir', stateDir]);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, /its supervisor was gone; signalled directly/);
  assert.equal(isAlive(appPid), false);
  assert.equal(readState(stateDir)?.status, 'stopped');
});

test('stop <script> refuses to stop a different script', async (t) => {
  const stateDir = tempStateDir(t);
  const state = await startInService(stateDir);
  const stopped = await runCli(['stop', '--state-dir', stateDir, join(stateDir, 'other.mjs')]);
  assert.equal(stopped.code, 1);
  assert.match(stopped.stderr, /ERR_GRACEFUL_ELB_SCRIPT_MISMATCH.*other\.mjs.*lifecycle-app\.mjs.*nothing was stopped/);
  assert.equal(isAlive(state.app.process?.pid ?? 0), true);

  const matching = await runCli(['stop', '--state-dir', stateDir, fixtureApp]);
  assert.equal(matching.code, 0, matching.stderr);
});

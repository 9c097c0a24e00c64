import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureApp, isAlive, readLines, readState, runCli, tempStateDir } from './helpers/supervisorHarness.js';
import { waitFor } from './helpers/waitFor.js';

test('start returns once the app is spawned; the app runs with its IPC channel, args and captured logs', async (t) => {
  const stateDir = tempStateDir(t);
  const started = await runCli(['start', '--state-dir', stateDir, fixtureApp, '--', '--port', '0']);
  assert.equal(started.code, 0, started.stderr);
  const state = readState(stateDir);
  assert.ok(state?.app.process, 'start returned before the state named the app process');
  const appPid = state.app.process.pid;
  assert.match(started.stdout, new RegExp(`app pid ${appPid}, supervisor pid ${state.supervisor.pid}`));
  // The hook has returned; the supervisor and the app live on without it.
  assert.ok(isAlive(state.supervisor.pid) && isAlive(appPid));
  assert.deepEqual(state.app.args, ['--port', '0']);

  // The library's lifecycle messages (here from the fixture) reach the state file through the IPC channel.
  // 'ready' is a message of its own, sent after the 'in-service' state: wait for both, not one then read the other.
  const inService = await waitFor('in-service and ready in the state file', () => {
    const current = readState(stateDir);
    return current?.lifecycle?.state === 'in-service' && current.ready;
  });
  assert.ok(inService);

  const outLog = readFileSync(join(stateDir, 'app', 'app.out.log'), 'utf8');
  assert.match(outLog, new RegExp(`listening on port \\d+ \\(pid ${appPid}, args \\["--port","0"\\]\\)`));
  assert.match(readFileSync(join(stateDir, 'app', 'app.err.log'), 'utf8'), /stderr line/);

  const status = await runCli(['status', '--state-dir', stateDir, '--json']);
  assert.equal(status.code, 0, status.stderr);
  const report = JSON.parse(status.stdout) as { running: boolean; appPid: number; uptimeMs: number; lifecycle: { state: string } };
  assert.equal(report.running, true);
  assert.equal(report.appPid, appPid);
  assert.equal(report.lifecycle.state, 'in-service');
  assert.ok(report.uptimeMs >= 0);

  const human = await runCli(['status', '--state-dir', stateDir]);
  assert.match(human.stdout, new RegExp(`app: running \\(app pid ${appPid}.*0 restarts\\)\\n  lifecycle: in-service`));

  const stopped = await runCli(['stop', '--state-dir', stateDir]);
  assert.equal(stopped.code, 0, stopped.stderr);
});

test('an app that crashes after minUptime is restarted: a new pid, back in service', async (t) => {
  const stateDir = tempStateDir(t);
  const pidsFile = join(stateDir, 'pids');
  const env = {
    FIXTURE_BEHAVIOUR: 'crash-once',
    FIXTURE_MARKER: join(stateDir, 'crashed'),
    FIXTURE_CRASH_AFTER_MS: '800',
    FIXTURE_PIDS_FILE: pidsFile,
  };
  const started = await runCli(['start', '--state-dir', stateDir, '--min-uptime', '300', fixtureApp], { env });
  assert.equal(started.code, 0, started.stderr);
  const firstPid = readState(stateDir)?.app.process?.pid;
  assert.ok(firstPid);

  const restarted = await waitFor('the restarted app in service', () => {
    const state = readState(stateDir);
    return state?.app.restarts === 1 && state.lifecycle?.state === 'in-service' ? state : undefined;
  });
  assert.equal(restarted.status, 'running');
  assert.notEqual(restarted.app.process?.pid, firstPid);
  assert.deepEqual(restarted.lastExit && { pid: restarted.lastExit.pid, code: restarted.lastExit.code }, { pid: firstPid, code: 1 });
  assert.equal(isAlive(firstPid), false);
  assert.equal(isAlive(restarted.app.process?.pid ?? 0), true);
  assert.deepEqual(readLines(pidsFile).map(Number), [firstPid, restarted.app.process?.pid]);
  // The crashed run's stderr was captured too.
  assert.match(readFileSync(join(stateDir, 'app', 'app.err.log'), 'utf8'), /crashing on purpose/);

  const stopped = await runCli(['stop', '--state-dir', stateDir]);
  assert.equal(stopped.code, 0, stopped.stderr);
});

test('an app that crashes within minUptime is not restarted: no restart loop, the reason is recorded', async (t) => {
  const stateDir = tempStateDir(t);
  const pidsFile = join(stateDir, 'pids');
  const env = { FIXTURE_BEHAVIOUR: 'crash', FIXTURE_CRASH_AFTER_MS: '200', FIXTURE_PIDS_FILE: pidsFile };
  const started = await runCli(['start', '--state-dir', stateDir, '--min-uptime', '5000', fixtureApp], { env });
  assert.equal(started.code, 0, started.stderr);
  const supervisorPid = readState(stateDir)?.supervisor.pid ?? 0;

  const exited = await waitFor('the supervisor to give up', () => {
    const state = readState(stateDir);
    return state?.status === 'exited' ? state : undefined;
  });
  assert.match(exited.reason ?? '', /exited with code 1 \d+ ms after its start, sooner than minUptime \(5000 ms\): not restarted/);
  await waitFor('the supervisor to exit', () => !isAlive(supervisorPid));
  assert.equal(readLines(pidsFile).length, 1);
  assert.equal(existsSync(join(stateDir, 'app', 'supervisor.lock')), false);

  const status = await runCli(['status', '--state-dir', stateDir]);
  assert.equal(status.code, 3);
  assert.match(status.stdout, /app: not running \(exited: the app exited with code 1/);
});

test("an app exiting with the library's startup-failure code (3) is not restarted", async (t) => {
  const stateDir = tempStateDir(t);
  const pidsFile = join(stateDir, 'pids');
  const env = { FIXTURE_BEHAVIOUR: 'failing-health', FIXTURE_EXIT_ON_FAILURE: '1', FIXTURE_CRASH_AFTER_MS: '400', FIXTURE_PIDS_FILE: pidsFile };
  const started = await runCli(['start', '--state-dir', stateDir, '--min-uptime', '100', fixtureApp], { env });
  assert.equal(started.code, 0, started.stderr);
  const exited = await waitFor('the supervisor to give up', () => {
    const state = readState(stateDir);
    return state?.status === 'exited' ? state : undefined;
  });
  assert.match(exited.reason ?? '', /exited with code 3: the library gave up starting .*: not restarted/);
  assert.equal(exited.app.restarts, 0);
  assert.equal(readLines(pidsFile).length, 1);
});

for (const [code, why] of [
  [10, /Auto Scaling is terminating the instance/],
  [11, /the instance got a Spot interruption notice/],
] as const) {
  test(`an app exiting ${code} (the instance is going away) is not restarted; the supervisor ends cleanly`, async (t) => {
    const stateDir = tempStateDir(t);
    const pidsFile = join(stateDir, 'pids');
    const env = { FIXTURE_BEHAVIOUR: 'crash', FIXTURE_CRASH_CODE: String(code), FIXTURE_CRASH_AFTER_MS: '400', FIXTURE_PIDS_FILE: pidsFile };
    const started = await runCli(['start', '--state-dir', stateDir, '--min-uptime', '100', fixtureApp], { env });
    assert.equal(started.code, 0, started.stderr);
    const exited = await waitFor('the supervisor to end', () => {
      const state = readState(stateDir);
      return state?.status === 'exited' ? state : undefined;
    });
    assert.match(exited.reason ?? '', new RegExp(`exited with code ${code}: ${why.source}.*: not restarted`));
    assert.equal(exited.app.restarts, 0);
    assert.equal(readLines(pidsFile).length, 1);
  });
}

test('the supervisor gives up after --max-restarts restarts', async (t) => {
  const stateDir = tempStateDir(t);
  const pidsFile = join(stateDir, 'pids');
  const env = { FIXTURE_BEHAVIOUR: 'crash', FIXTURE_CRASH_AFTER_MS: '400', FIXTURE_PIDS_FILE: pidsFile };
  const started = await runCli(['start', '--state-dir', stateDir, '--min-uptime', '100', '--max-restarts', '2', fixtureApp], { env });
  assert.equal(started.code, 0, started.stderr);
  const exited = await waitFor('the supervisor to give up', () => {
    const state = readState(stateDir);
    return state?.status === 'exited' ? state : undefined;
  });
  assert.match(exited.reason ?? '', /exited 3 times \(max restarts 2\): not restarted/);
  assert.equal(exited.app.restarts, 2);
  assert.equal(readLines(pidsFile).length, 3);
});

test('a second start while one runs fails clearly and starts no second copy', async (t) => {
  const stateDir = tempStateDir(t);
  const pidsFile = join(stateDir, 'pids');
  const env = { FIXTURE_PIDS_FILE: pidsFile };
  const first = await runCli(['start', '--state-dir', stateDir, fixtureApp], { env });
  assert.equal(first.code, 0, first.stderr);
  const state = readState(stateDir);
  assert.ok(state?.app.process);

  const second = await runCli(['start', '--state-dir', stateDir, fixtureApp], { env });
  assert.equal(second.code, 1);
  assert.match(
    second.stderr,
    new RegExp(`ERR_GRACEFUL_ELB_ALREADY_RUNNING.*already running for .* \\(pid ${state.supervisor.pid}\\); run \`graceful-elb stop\` first`),
  );
  assert.equal(readState(stateDir)?.app.process?.pid, state.app.process.pid);
  assert.deepEqual(readLines(pidsFile).map(Number), [state.app.process.pid]);

  const stopped = await runCli(['stop', '--state-dir', stateDir]);
  assert.equal(stopped.code, 0, stopped.stderr);
});

test('two starts at the same instant: the lock lets exactly one supervisor run', async (t) => {
  const stateDir = tempStateDir(t);
  const pidsFile = join(stateDir, 'pids');
  const env = { FIXTURE_PIDS_FILE: pidsFile };
  const results = await Promise.all([
    runCli(['start', '--state-dir', stateDir, fixtureApp], { env }),
    runCli(['start', '--state-dir', stateDir, fixtureApp], { env }),
  ]);
  const codes = results.map((r) => r.code).sort();
  assert.deepEqual(codes, [0, 1], results.map((r) => r.stderr).join('\n'));
  const loser = results.find((r) => r.code === 1);
  assert.match(loser?.stderr ?? '', /already running/);
  await waitFor('the app in service', () => readState(stateDir)?.lifecycle?.state === 'in-service');
  assert.equal(readLines(pidsFile).length, 1);

  const stopped = await runCli(['stop', '--state-dir', stateDir]);
  assert.equal(stopped.code, 0, stopped.stderr);
});

test('several apps on one machine: --name keeps their state apart', async (t) => {
  const stateDir = tempStateDir(t);
  const a = await runCli(['start', '--state-dir', stateDir, '--name', 'web-a', fixtureApp]);
  const b = await runCli(['start', '--state-dir', stateDir, '--name', 'web-b', fixtureApp]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const pidA = readState(stateDir, 'web-a')?.app.process?.pid;
  const pidB = readState(stateDir, 'web-b')?.app.process?.pid;
  assert.ok(pidA && pidB && pidA !== pidB);

  const stopA = await runCli(['stop', '--state-dir', stateDir, '--name', 'web-a']);
  assert.equal(stopA.code, 0, stopA.stderr);
  assert.equal(isAlive(pidA), false);
  assert.equal(isAlive(pidB), true);
  const stopB = await runCli(['stop', '--state-dir', stateDir, '--name', 'web-b']);
  assert.equal(stopB.code, 0, stopB.stderr);
});

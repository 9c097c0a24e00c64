import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureApp, runCli, tempStateDir } from './helpers/supervisorHarness.js';

async function start(stateDir: string, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<void> {
  const started = await runCli(['start', '--state-dir', stateDir, ...extra, fixtureApp], { env });
  assert.equal(started.code, 0, started.stderr);
}

async function validate(stateDir: string, extra: string[] = []) {
  return runCli(['validate', '--state-dir', stateDir, ...extra], {
    env: { LIFECYCLE_EVENT: 'ValidateService', DEPLOYMENT_ID: 'd-TEST12345' },
  });
}

test('validate exits 0 once the app reports in-service, naming the phases it saw', async (t) => {
  const stateDir = tempStateDir(t);
  await start(stateDir, {});
  const result = await validate(stateDir, ['--timeout', '30']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^graceful-elb validate: in-service$/m);
  assert.match(result.stdout, /is in-service after [\d.]+ s \(ValidateService, deployment d-TEST12345\)/);
  await runCli(['stop', '--state-dir', stateDir]);
});

test('validate fails fast with the reason when the app reports its health failing', async (t) => {
  const stateDir = tempStateDir(t);
  await start(stateDir, { FIXTURE_BEHAVIOUR: 'failing-health' });
  const result = await validate(stateDir, ['--timeout', '60']);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /ERR_GRACEFUL_ELB_VALIDATE_FAILED\]: The app reported 'failed': ERR_GRACEFUL_ELB_HEALTH_CHECK: GET http:\/\/127\.0\.0\.1\/ping answered 500 five times/,
  );
  // The app's own stderr is shown after the reason.
  assert.match(result.stderr, /last lines of .*app\.err\.log:\nfixture failing-health stderr line/);
  assert.ok(result.elapsedMs < 30_000, `validate took ${result.elapsedMs} ms: it waited instead of failing fast`);
  await runCli(['stop', '--state-dir', stateDir]);
});

test('validate fails with the reason when the app exits before it is in service', async (t) => {
  const stateDir = tempStateDir(t);
  await start(stateDir, { FIXTURE_BEHAVIOUR: 'crash', FIXTURE_CRASH_AFTER_MS: '300' });
  const result = await validate(stateDir, ['--timeout', '60']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /The app is not running: the app exited with code 1 \d+ ms after its start/);
  assert.match(result.stderr, /fixture crashing on purpose/);
});

test('validate fails when an app crash-restarts during validation', async (t) => {
  const stateDir = tempStateDir(t);
  await start(stateDir, { FIXTURE_BEHAVIOUR: 'crash', FIXTURE_CRASH_AFTER_MS: '1000' }, ['--min-uptime', '100']);
  const result = await validate(stateDir, ['--timeout', '60']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /The app \(pid \d+\) exited with code 1 after \d+ ms during validation and is being restarted/);
  await runCli(['stop', '--state-dir', stateDir]);
});

test('validate times out, bounded, when the app never reports a lifecycle state', async (t) => {
  const stateDir = tempStateDir(t);
  await start(stateDir, { FIXTURE_BEHAVIOUR: 'silent' });
  const result = await validate(stateDir, ['--timeout', '1.5']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /Not in service after 1.5 s: the app never reported a lifecycle state \(does it call gracefulElb\(\)\?/);
  assert.ok(result.elapsedMs >= 1500 && result.elapsedMs < 20_000, `validate took ${result.elapsedMs} ms`);
  await runCli(['stop', '--state-dir', stateDir]);
});

test("validate rejects the library's no-balancer mode unless --allow-no-balancer", async (t) => {
  const stateDir = tempStateDir(t);
  await start(stateDir, { FIXTURE_BEHAVIOUR: 'no-balancer' });
  const rejected = await validate(stateDir, ['--timeout', '30']);
  assert.equal(rejected.code, 1);
  assert.match(rejected.stderr, /runs without a load balancer \(state 'serving'.*--allow-no-balancer/);
  const allowed = await validate(stateDir, ['--timeout', '30', '--allow-no-balancer']);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stdout, /is serving after/);
  await runCli(['stop', '--state-dir', stateDir]);
});

test('validate with nothing started fails at once and says where it looked', async (t) => {
  const stateDir = tempStateDir(t);
  const result = await validate(stateDir);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /Nothing is running: no state in .*graceful-elb-test-.*\/app/);
});

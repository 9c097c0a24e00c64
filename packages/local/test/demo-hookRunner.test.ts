import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LIFECYCLE_EVENTS, loadAppSpec, parseAppSpec } from '../src/demo/appSpec.js';
import { runHooks, type DeploymentIdentity } from '../src/demo/hookRunner.js';
import { AppSpecError, HookFailedError } from '../src/demo/errors.js';

const revision = resolve(import.meta.dirname, 'fixtures/demo-revision');
const deployment: DeploymentIdentity = {
  deploymentId: 'd-DEMO00001',
  applicationName: 'graceful-elb-demo',
  deploymentGroupName: 'demo-fleet',
  deploymentGroupId: '00000000-0000-4000-8000-000000000001',
};

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'demo-hooks-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('parses the appspec: scripts per event, timeouts (default 3600 s), runas; load-balancer hooks accepted but not run', () => {
  const spec = loadAppSpec(join(revision, 'appspec.yml'));
  assert.equal(spec.root, revision);
  assert.equal(spec.hooks.ApplicationStart?.length, 2);
  assert.equal(spec.hooks.ApplicationStop?.[0]?.timeoutSeconds, 10);
  assert.equal(spec.hooks.ApplicationStop?.[0]?.runas, 'root');
  assert.equal(spec.hooks.BeforeInstall?.[0]?.timeoutSeconds, 3600);
  assert.equal(spec.hooks.BeforeInstall?.[0]?.path, join(revision, 'scripts/record.sh'));
  assert.equal('BeforeAllowTraffic' in spec.hooks, false);
});

test('a bad appspec names the file and the field', () => {
  const cases: Array<[string, RegExp]> = [
    ['version: 1\nhooks: {}\n', /\(version\): must be 0\.0/],
    ['version: 0.0\nhooks:\n  Restart:\n    - location: x.sh\n', /\(hooks\.Restart\): is not a CodeDeploy lifecycle event/],
    ['version: 0.0\nhooks:\n  ApplicationStart:\n    - timeout: 5\n', /\(hooks\.ApplicationStart\[0\]\.location\)/],
    ['version: 0.0\nhooks:\n  ApplicationStart:\n    - location: a.sh\n      timeout: 4000\n', /\(hooks\.ApplicationStart\[0\]\.timeout\): .*1 to 3600, got 4000/],
    ['version: 0.0\nhooks:\n  ApplicationStart: start.sh\n', /must be a list of scripts/],
    ['version: [0.0\n', /is not valid YAML/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseAppSpec(text, 'bad-appspec.yml', '/srv'),
      (err: unknown) => err instanceof AppSpecError && err.code === 'ERR_GRACEFUL_ELB_INVALID_APPSPEC' && /^bad-appspec\.yml/.test(err.message) && message.test(err.message),
      text,
    );
  }
  assert.throws(() => loadAppSpec('/nonexistent/appspec.yml'), /appspec\.yml: cannot be read/);
});

test('runs every in-place event in order with CodeDeploy variables and the instance env, in the revision root', async (t) => {
  const dir = scratch(t);
  const record = join(dir, 'record.txt');
  const seen: string[] = [];
  const lines: string[] = [];
  const reports = await runHooks(
    {
      appSpec: loadAppSpec(join(revision, 'appspec.yml')),
      instanceId: 'i-0demo1',
      deployment,
      env: { PATH: process.env.PATH, RECORD_FILE: record, GRACEFUL_ELB_INSTANCE_ID: 'i-0demo1' },
      onEvent: (e) => seen.push(`${e.phase}:${e.event}`),
      onOutput: (line) => lines.push(line),
    },
    LIFECYCLE_EVENTS,
  );
  const rows = readFileSync(record, 'utf8').trim().split('\n').map((row) => row.split('|'));
  assert.deepEqual(
    rows.map((r) => r[0]),
    ['ApplicationStop', 'BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ApplicationStart', 'ValidateService'],
  );
  for (const row of rows) {
    assert.deepEqual(row.slice(1), [deployment.deploymentId, deployment.applicationName, deployment.deploymentGroupName, deployment.deploymentGroupId, 'i-0demo1', revision]);
  }
  assert.deepEqual(reports.map((r) => r.event), [...LIFECYCLE_EVENTS]);
  assert.ok(reports.every((r) => r.ok && r.endedAt >= r.startedAt));
  assert.equal(seen[0], 'start:ApplicationStop');
  assert.equal(seen.at(-1), 'end:ValidateService');
  assert.ok(lines.includes('ValidateService recording ValidateService'));
});

test('only the events asked for run (a first deployment skips ApplicationStop)', async (t) => {
  const dir = scratch(t);
  const record = join(dir, 'record.txt');
  await runHooks(
    { appSpec: loadAppSpec(join(revision, 'appspec.yml')), instanceId: 'i-1', deployment, env: { PATH: process.env.PATH, RECORD_FILE: record } },
    ['ApplicationStart', 'ValidateService'],
  );
  assert.deepEqual(readFileSync(record, 'utf8').trim().split('\n').map((r) => r.split('|')[0]), ['ApplicationStart', 'ApplicationStart', 'ValidateService']);
});

test('a failing script fails the instance: the error names instance, event, script, exit code and output; later events do not run', async (t) => {
  const dir = scratch(t);
  const record = join(dir, 'record.txt');
  const ended: Array<{ event: string; ok?: boolean }> = [];
  await assert.rejects(
    runHooks(
      {
        appSpec: loadAppSpec(join(revision, 'appspec-fail.yml'), revision),
        instanceId: 'i-0bad',
        deployment,
        env: { PATH: process.env.PATH, RECORD_FILE: record },
        onEvent: (e) => e.phase === 'end' && ended.push({ event: e.event, ok: e.ok }),
      },
      LIFECYCLE_EVENTS,
    ),
    (err: unknown) => {
      assert.ok(err instanceof HookFailedError);
      assert.equal(err.code, 'ERR_GRACEFUL_ELB_HOOK_FAILED');
      assert.equal(err.instanceId, 'i-0bad');
      assert.equal(err.event, 'AfterInstall');
      assert.equal(err.script, 'scripts/fail.sh');
      assert.equal(err.exitCode, 3);
      assert.equal(err.timedOut, false);
      assert.match(err.outputTail, /checking the new revision/);
      assert.match(err.message, /AfterInstall failed on i-0bad: scripts\/fail\.sh exited with code 3 \(last output: health route answered 500\)/);
      return true;
    },
  );
  assert.deepEqual(readFileSync(record, 'utf8').trim().split('\n').map((r) => r.split('|')[0]), ['BeforeInstall']);
  assert.deepEqual(ended, [{ event: 'BeforeInstall', ok: true }, { event: 'AfterInstall', ok: false }]);
});

test('a script past its timeout is killed and fails the instance', async (t) => {
  const dir = scratch(t);
  const started = Date.now();
  await assert.rejects(
    runHooks(
      { appSpec: loadAppSpec(join(revision, 'appspec-timeout.yml'), revision), instanceId: 'i-slow', deployment, env: { PATH: process.env.PATH, RECORD_FILE: join(dir, 'r') } },
      LIFECYCLE_EVENTS,
    ),
    (err: unknown) => err instanceof HookFailedError && err.timedOut && err.event === 'ApplicationStart' && /within its timeout of 1 s/.test(err.message),
  );
  assert.ok(Date.now() - started < 15_000, 'the 30 s sleep was cut short by the 1 s timeout');
});

test('a missing script fails the instance with a clear error', async () => {
  await assert.rejects(
    runHooks({ appSpec: loadAppSpec(join(revision, 'appspec-missing.yml'), revision), instanceId: 'i-2', deployment, env: { PATH: process.env.PATH } }, ['ApplicationStart']),
    (err: unknown) => err instanceof HookFailedError && err.exitCode === null && /scripts\/does-not-exist\.sh could not run or was killed \(ENOENT\)/.test(err.message),
  );
});

test('a background process holding the output open does not hang the run; the output says why', async (t) => {
  const dir = scratch(t);
  const pidFile = join(dir, 'bg.pid');
  t.after(() => {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    } catch {
      // already gone
    }
  });
  const lines: string[] = [];
  const started = Date.now();
  await runHooks(
    { appSpec: loadAppSpec(join(revision, 'appspec-background.yml'), revision), instanceId: 'i-3', deployment, env: { PATH: process.env.PATH, RECORD_FILE: pidFile }, onOutput: (l) => lines.push(l) },
    ['ApplicationStart'],
  );
  assert.ok(Date.now() - started < 10_000);
  assert.ok(lines.some((l) => /still holds its output open/.test(l)), lines.join('\n'));
});

test('aborting kills the running script', async (t) => {
  const dir = scratch(t);
  const spec = join(dir, 'appspec.yml');
  writeFileSync(spec, `version: 0.0\nhooks:\n  ApplicationStart:\n    - location: ${join(revision, 'scripts/slow.sh')}\n      timeout: 60\n`);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300).unref();
  const started = Date.now();
  await assert.rejects(
    runHooks({ appSpec: loadAppSpec(spec), instanceId: 'i-4', deployment, env: { PATH: process.env.PATH }, signal: controller.signal }, ['ApplicationStart']),
    HookFailedError,
  );
  assert.ok(Date.now() - started < 10_000);
});

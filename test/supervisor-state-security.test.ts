// The state dir attacks from issue 9, each as a test: a state dir others can write (0777, group-writable, another
// user's `/tmp/graceful-elb-<uid>`), a planted supervisor.log symlink, a planted temp-file symlink, and a forged
// state.json naming an unrelated process. Files must stay untouched, strangers unsignalled, and the CLI must refuse
// with its own exit code (5). The cases needing a second user (chown) run as root only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnsafeStateDirError } from '../src/privateDir.js';
import { ensurePrivateDir } from '../src/privateDir.js';
import { identifyProcess } from '../src/supervisor/processIdentity.js';
import { readState, writeJsonFileAtomic, type SupervisorState } from '../src/supervisor/stateFile.js';
import { fixtureApp, isAlive, runCli } from './helpers/supervisorHarness.js';
import { waitFor } from './helpers/waitFor.js';

const UNSAFE_EXIT = 5;
const NOBODY = 65534;
const asRoot = { skip: process.getuid?.() !== 0 ? 'needs root to create a directory owned by another user' : false };

function tempDir(t: { after(fn: () => void): void }, prefix = 'graceful-elb-sec-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A file of the running user outside the state dir, which an attacker would like overwritten. */
function victimFile(t: { after(fn: () => void): void }): string {
  const path = join(tempDir(t, 'graceful-elb-victim-'), 'precious');
  writeFileSync(path, 'precious content\n', { mode: 0o600 });
  return path;
}

/** An unrelated process of the running user, alive until the test ends. */
async function bystander(t: { after(fn: () => void): void }): Promise<ChildProcess> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await once(child, 'spawn');
  return child;
}

/** What a forger writes: a state file whose supervisor and app are `pid`, with the identity given. */
function forgedState(identity: SupervisorState['supervisor']): SupervisorState {
  return {
    version: 1,
    name: 'app',
    status: 'running',
    supervisor: identity,
    app: { script: '/srv/app.js', args: [], cwd: '/', process: identity, startedAt: Date.now(), restarts: 0 },
    ready: true,
    stopTimeoutSeconds: 2,
    logs: { out: '', err: '', supervisor: '' },
    updatedAt: Date.now(),
  };
}

function refused(result: { code: number | null; stderr: string }, path: string, problem: RegExp): void {
  assert.equal(result.code, UNSAFE_EXIT, result.stderr);
  assert.match(result.stderr, /error \[ERR_GRACEFUL_ELB_UNSAFE_STATE_DIR\]/);
  assert.ok(result.stderr.includes(path), `the message names ${path}: ${result.stderr}`);
  assert.match(result.stderr, problem);
}

for (const [mode, problem] of [
  [0o777, /world-writable \(mode 0777\)/],
  [0o770, /group-writable \(mode 0770\)/],
] as const) {
  test(`a ${mode.toString(8)} state dir with a planted supervisor.log symlink: every command refuses (exit 5), the target is untouched`, async (t) => {
    const stateDir = tempDir(t);
    chmodSync(stateDir, mode);
    const victim = victimFile(t);
    mkdirSync(join(stateDir, 'app'), { mode: 0o700 });
    symlinkSync(victim, join(stateDir, 'app', 'supervisor.log'));
    for (const args of [['start', fixtureApp], ['stop'], ['status'], ['validate', '--timeout', '1']]) {
      refused(await runCli([...args, '--state-dir', stateDir]), stateDir, problem);
    }
    assert.equal(readFileSync(victim, 'utf8'), 'precious content\n');
    assert.equal(readState(join(stateDir, 'app', 'state.json')), undefined, 'no supervisor ran');
  });
}

test('a group-writable app folder inside a private state dir is refused too', async (t) => {
  const stateDir = tempDir(t);
  mkdirSync(join(stateDir, 'app'));
  chmodSync(join(stateDir, 'app'), 0o775);
  refused(await runCli(['start', '--state-dir', stateDir, fixtureApp]), join(stateDir, 'app'), /group-writable/);
});

test('a state dir pre-created by another user (as /tmp/graceful-elb-<uid> could be) is refused', asRoot, async (t) => {
  const stateDir = tempDir(t);
  chownSync(stateDir, NOBODY, NOBODY);
  refused(await runCli(['start', '--state-dir', stateDir, fixtureApp]), stateDir, new RegExp(`owned by uid ${NOBODY}`));
  // The same check guards a dir the library creates itself (the /tmp fallback of the default state dir).
  assert.throws(() => ensurePrivateDir(stateDir), UnsafeStateDirError);
});

test('a state dir that does not exist yet is created 0700, whatever the umask', (t) => {
  const parent = tempDir(t);
  const fallback = join(parent, `graceful-elb-${process.getuid?.() ?? 'user'}`);
  const previous = process.umask(0);
  try {
    ensurePrivateDir(fallback);
  } finally {
    process.umask(previous);
  }
  assert.equal(statSync(fallback).mode & 0o777, 0o700);
});

test('a planted supervisor.log symlink in a private state dir is not followed: start refuses, the target is untouched', async (t) => {
  const stateDir = tempDir(t);
  const victim = victimFile(t);
  mkdirSync(join(stateDir, 'app'), { mode: 0o700 });
  symlinkSync(victim, join(stateDir, 'app', 'supervisor.log'));
  refused(await runCli(['start', '--state-dir', stateDir, fixtureApp]), join(stateDir, 'app', 'supervisor.log'), /is a symlink/);
  assert.equal(readFileSync(victim, 'utf8'), 'precious content\n');
});

test('planted temp-file and state.json symlinks: the state is written beside them, never through them', (t) => {
  const dir = tempDir(t);
  const victim = victimFile(t);
  const statePath = join(dir, 'state.json');
  // The old, predictable temp name, and a range of pids around ours.
  for (let pid = process.pid - 5; pid <= process.pid + 5; pid++) symlinkSync(victim, `${statePath}.${pid}.tmp`);
  symlinkSync(victim, statePath);
  assert.throws(() => readState(statePath), UnsafeStateDirError, 'a state.json symlink is not read');
  writeJsonFileAtomic(statePath, { written: true });
  assert.equal(readFileSync(victim, 'utf8'), 'precious content\n');
  assert.ok(lstatSync(statePath).isFile(), 'state.json is now a file of its own');
  assert.equal(statSync(statePath).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(readFileSync(statePath, 'utf8')), { written: true });
});

test('a forged state.json in a world-writable dir: stop refuses (exit 5) and the named process lives', async (t) => {
  const stateDir = tempDir(t);
  const target = await bystander(t);
  mkdirSync(join(stateDir, 'app'), { mode: 0o700 });
  writeFileSync(join(stateDir, 'app', 'state.json'), JSON.stringify(forgedState({ ...identifyProcess(target.pid ?? 0), startedAt: Date.now() })));
  chmodSync(stateDir, 0o777);
  refused(await runCli(['stop', '--state-dir', stateDir]), stateDir, /world-writable/);
  assert.ok(isAlive(target.pid ?? 0), 'the bystander was not signalled');
});

test("a forged state.json owned by another user: stop refuses (exit 5) and the named process lives", asRoot, async (t) => {
  const stateDir = tempDir(t);
  const target = await bystander(t);
  mkdirSync(join(stateDir, 'app'), { mode: 0o700 });
  const statePath = join(stateDir, 'app', 'state.json');
  writeFileSync(statePath, JSON.stringify(forgedState({ ...identifyProcess(target.pid ?? 0), startedAt: Date.now() })));
  chownSync(statePath, NOBODY, NOBODY);
  refused(await runCli(['stop', '--state-dir', stateDir]), statePath, new RegExp(`owned by uid ${NOBODY}`));
  assert.ok(isAlive(target.pid ?? 0), 'the bystander was not signalled');
});

test('stop signals only a process whose pid, start time, boot id and owner all match the record', async (t) => {
  const target = await bystander(t);
  const real = identifyProcess(target.pid ?? 0);
  if (real.startTicks === undefined) {
    t.skip('no /proc on this platform: only the pid is checked');
    return;
  }
  const { uid: _uid, ...withoutOwner } = real;
  for (const identity of [{ ...real, uid: (real.uid ?? 0) + 1 }, withoutOwner, { ...real, startTicks: String(Number(real.startTicks) + 1) }, { ...real, bootId: 'another-boot' }]) {
    const stateDir = tempDir(t);
    mkdirSync(join(stateDir, 'app'), { mode: 0o700 });
    writeFileSync(join(stateDir, 'app', 'state.json'), JSON.stringify(forgedState({ ...identity, startedAt: Date.now() })));
    const result = await runCli(['stop', '--state-dir', stateDir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /nothing running/, JSON.stringify(identity));
    assert.ok(isAlive(target.pid ?? 0), `not signalled for ${JSON.stringify(identity)}`);
  }
  // Control: the full, true identity in a private dir is what stop acts on (so the cases above could have failed).
  const stateDir = tempDir(t);
  mkdirSync(join(stateDir, 'app'), { mode: 0o700 });
  writeFileSync(join(stateDir, 'app', 'state.json'), JSON.stringify(forgedState({ ...real, startedAt: Date.now() })));
  const exited = once(target, 'exit');
  const result = await runCli(['stop', '--state-dir', stateDir, '--timeout', '5']);
  assert.notEqual(result.code, UNSAFE_EXIT, result.stderr);
  const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGTERM');
  await waitFor('the bystander gone', () => !isAlive(target.pid ?? 0));
});

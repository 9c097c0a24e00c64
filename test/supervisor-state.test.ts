import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { GracefulElbError } from '../src/errors.js';
import { UnsafeStateDirError } from '../src/privateDir.js';
import { AlreadyRunningError, ScriptMismatchError, StateFileError, StopTimeoutError, SupervisorStartError, ValidateFailedError } from '../src/supervisor/errors.js';
import { identifyProcess, isProcessRunning } from '../src/supervisor/processIdentity.js';
import { readState, writeJsonFileAtomic } from '../src/supervisor/stateFile.js';
import { acquireLock, lockHolder, releaseLock } from '../src/supervisor/supervisorLock.js';
import { waitFor } from './helpers/waitFor.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'graceful-elb-state-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('state files are replaced atomically, owner-only, with no temporary file left behind', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'state.json');
  writeJsonFileAtomic(path, { version: 1, n: 1 });
  writeJsonFileAtomic(path, { version: 1, n: 2 });
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { version: 1, n: 2 });
  assert.deepEqual(readdirSync(dir), ['state.json']);
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('a broken or foreign state file is an error, not a guess', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'state.json');
  assert.equal(readState(path), undefined);
  writeFileSync(path, '{"version": 1, "supervisor": ');
  assert.throws(() => readState(path), (err: unknown) => err instanceof StateFileError && err.path === path && /not valid JSON/.test(err.message));
  writeFileSync(path, '{"version": 7}');
  assert.throws(() => readState(path), /not written by this version/);
});

test('the lock: one holder; a live holder is named; a dead holder’s lock is taken over', async (t) => {
  const dir = tempDir(t);
  const lock = join(dir, 'supervisor.lock');
  const self = identifyProcess(process.pid);
  acquireLock(lock, dir, self);
  assert.equal(lockHolder(lock)?.pid, process.pid);
  assert.throws(() => acquireLock(lock, dir, self), (err: unknown) => err instanceof AlreadyRunningError && err.pid === process.pid);
  releaseLock(lock, self);
  assert.equal(lockHolder(lock), undefined);

  // A lock left by a process that has exited (a supervisor killed with SIGKILL).
  const child = spawn(process.execPath, ['-e', '']);
  const dead = identifyProcess(child.pid ?? 0);
  await once(child, 'exit');
  writeFileSync(lock, JSON.stringify(dead));
  assert.equal(lockHolder(lock), undefined);
  acquireLock(lock, dir, self);
  assert.equal(lockHolder(lock)?.pid, process.pid);
  releaseLock(lock, self);
});

test('process identity: a reused pid (other start time) and a zombie both count as not running', async (t) => {
  const self = identifyProcess(process.pid);
  assert.equal(isProcessRunning(self), true);
  if (self.startTicks === undefined) {
    t.skip('no /proc on this platform: only the pid is checked');
    return;
  }
  assert.equal(isProcessRunning({ ...self, startTicks: String(Number(self.startTicks) + 1) }), false);
  assert.equal(isProcessRunning({ ...self, bootId: 'another-boot' }), false);

  assert.equal(isProcessRunning({ ...self, uid: (self.uid ?? 0) + 1 }), false, 'another owner');
  const { uid: _uid, ...withoutOwner } = self;
  assert.equal(isProcessRunning(withoutOwner), false, 'an identity without its owner matches nothing');

  // A zombie, made deterministically: the background child waits for a line on fd 3 (a background list's stdin is
  // /dev/null), the shell execs into `sleep`, which never reaps; only once `sleep` runs is the line sent.
  const parent = spawn('sh', ['-c', 'exec 3<&0; (read line <&3; exit 0) & echo $!; exec sleep 30'], { stdio: ['pipe', 'pipe', 'ignore'] });
  t.after(() => parent.kill('SIGKILL'));
  const [line] = (await once(parent.stdout, 'data')) as [Buffer];
  const zombie = Number(line.toString().trim());
  await waitFor('the shell to exec into sleep', () => readFileSync(`/proc/${parent.pid}/comm`, 'utf8').trim() === 'sleep');
  parent.stdin.write('go\n');
  await waitFor('the child to become a zombie', () => /\) Z /.test(readFileSync(`/proc/${zombie}/stat`, 'utf8')));
  assert.doesNotThrow(() => process.kill(zombie, 0), 'a zombie still answers signal 0');
  assert.equal(isProcessRunning({ ...identifyProcess(zombie), pid: zombie }), false);
});

test('every deploy error has its stable code, a name, and keeps its cause', () => {
  const cause = new Error('underlying');
  const table: Array<[GracefulElbError, string]> = [
    [new AlreadyRunningError('/s/app', 12, { cause }), 'ERR_GRACEFUL_ELB_ALREADY_RUNNING'],
    [new SupervisorStartError('x', { cause }), 'ERR_GRACEFUL_ELB_SUPERVISOR_START'],
    [new StopTimeoutError(12, 3, 'killed', { cause }), 'ERR_GRACEFUL_ELB_STOP_TIMEOUT'],
    [new ValidateFailedError('timeout', 'x', { cause }), 'ERR_GRACEFUL_ELB_VALIDATE_FAILED'],
    [new StateFileError('/s/state.json', 'x', { cause }), 'ERR_GRACEFUL_ELB_STATE_FILE'],
    [new ScriptMismatchError('/a.mjs', '/b.mjs', { cause }), 'ERR_GRACEFUL_ELB_SCRIPT_MISMATCH'],
    [new UnsafeStateDirError('/tmp/s', 'is world-writable', { cause }), 'ERR_GRACEFUL_ELB_UNSAFE_STATE_DIR'],
  ];
  for (const [err, code] of table) {
    assert.ok(err instanceof GracefulElbError);
    assert.equal(err.code, code);
    assert.equal(err.name, err.constructor.name);
    assert.equal(err.cause, cause);
  }
});

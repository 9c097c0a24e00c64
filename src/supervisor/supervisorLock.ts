import { rmSync } from 'node:fs';
import { UnsafeStateDirError } from '../privateDir.js';
import { AlreadyRunningError } from './errors.js';
import { createPrivateFile, readPrivateFile } from '../privateFiles.js';
import { isProcessRunning, type ProcessIdentity } from './processIdentity.js';

/**
 * The process holding the lock, when it still runs. A lock left by a dead process (SIGKILL, reboot)
 * reads as free.
 */
export function lockHolder(lockPath: string): ProcessIdentity | undefined {
  let holder: ProcessIdentity;
  try {
    holder = JSON.parse(readPrivateFile(lockPath) ?? 'null') as ProcessIdentity;
  } catch (err) {
    // A planted symlink or someone else's file is not a lock to trust, nor one to take over.
    if (err instanceof UnsafeStateDirError) throw err;
    // Torn by a crash between create and write: nobody holds it.
    return undefined;
  }
  if (holder === null) return undefined;
  return isProcessRunning(holder) ? holder : undefined;
}

/**
 * Take the lock for `self`, or throw AlreadyRunningError naming the live holder. O_EXCL makes the
 * common race (two `start`s at once) safe; a stale lock is removed and the create retried once. Two
 * processes clearing the same stale lock in the same instant could both win; a deploy tool never
 * starts the same app twice within microseconds, so no heavier scheme is used.
 */
export function acquireLock(lockPath: string, stateDir: string, self: ProcessIdentity): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      createPrivateFile(lockPath, JSON.stringify(self));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = lockHolder(lockPath);
    if (holder !== undefined) throw new AlreadyRunningError(stateDir, holder.pid);
    rmSync(lockPath, { force: true });
  }
  throw new AlreadyRunningError(stateDir, lockHolder(lockPath)?.pid ?? Number.NaN);
}

/** Remove the lock if `self` still holds it. */
export function releaseLock(lockPath: string, self: ProcessIdentity): void {
  try {
    const holder = JSON.parse(readPrivateFile(lockPath) ?? 'null') as ProcessIdentity | null;
    if (holder?.pid === self.pid) rmSync(lockPath, { force: true });
  } catch {
    // Already gone.
  }
}

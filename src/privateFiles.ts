import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { UnsafeStateDirError } from './privateDir.js';

// Files in the state dir are opened without following a symlink (O_NOFOLLOW: ELOOP instead) and must be plain files
// of the running user with one link: a planted symlink or hard link must never redirect a write (or a read that
// decides what to signal) to someone else's file. Windows has no O_NOFOLLOW (0 there): the checks still run.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** Opens `path` for appending, creating it 0600; the fd is the caller's to close. */
export function openPrivateAppend(path: string): number {
  return openChecked(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW, 'w');
}

/** Creates `path` 0600 with `text`, failing with EEXIST when anything (a symlink too) is already there. */
export function createPrivateFile(path: string, text: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o600);
  try {
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** The text of `path`, or undefined when it does not exist. */
export function readPrivateFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openChecked(path, constants.O_RDONLY | NOFOLLOW, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` with `text` atomically: a temporary file with an unpredictable name is created exclusively
 * (O_EXCL, no-follow, 0600) next to it, then renamed over it (rename replaces a symlink at `path`, never its target).
 */
export function writePrivateFileAtomic(path: string, text: string): void {
  const temporary = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  try {
    createPrivateFile(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

function openChecked(path: string, flags: number, mode: 'r' | 'w'): number {
  let fd: number;
  try {
    fd = openSync(path, flags, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new UnsafeStateDirError(path, 'is a symlink; refusing to follow it', { cause: error });
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    const uid = process.geteuid?.();
    if (!stats.isFile()) throw new UnsafeStateDirError(path, 'is not a regular file');
    if (uid !== undefined && stats.uid !== uid) throw new UnsafeStateDirError(path, `is owned by uid ${stats.uid}, not by the running user (uid ${uid})`);
    if (mode === 'w' && stats.nlink > 1) throw new UnsafeStateDirError(path, `has ${stats.nlink} hard links; refusing to write through one`);
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

import { lstatSync, mkdirSync, statSync, type Stats } from 'node:fs';
import { GracefulElbError } from './errors.js';

/**
 * Creates `dir` (and missing parents) readable by its owner only, then checks it as checkPrivateDir does. The
 * state dir holds the lock, the pid a `stop` signals and logs root may append to: anyone else able to write there
 * could plant a symlink or a forged state file.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkPrivateDir(dir);
}

/**
 * Throws UnsafeStateDirError unless `dir` is a directory owned by the running user and not writable by group or
 * others (a symlink to one is accepted only when the running user owns the link too). A missing dir passes: there
 * is nothing in it to trust yet. Without POSIX ids (Windows) there is nothing to compare and it passes.
 */
export function checkPrivateDir(dir: string): void {
  const uid = process.geteuid?.();
  if (uid === undefined) return;
  let link: Stats;
  try {
    link = lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new UnsafeStateDirError(dir, 'cannot be examined', { cause: error });
  }
  if (link.isSymbolicLink() && link.uid !== uid) throw new UnsafeStateDirError(dir, `is a symlink owned by uid ${link.uid}, not by the running user (uid ${uid})`);
  const target = link.isSymbolicLink() ? statSync(dir) : link;
  if (!target.isDirectory()) throw new UnsafeStateDirError(dir, 'is not a directory');
  if (target.uid !== uid) throw new UnsafeStateDirError(dir, `is owned by uid ${target.uid}, not by the running user (uid ${uid})`);
  if ((target.mode & 0o022) !== 0) {
    const who = (target.mode & 0o002) !== 0 ? 'world' : 'group';
    throw new UnsafeStateDirError(dir, `is ${who}-writable (mode ${(target.mode & 0o777).toString(8).padStart(4, '0')}); run \`chmod go-w ${dir}\``);
  }
}

/**
 * The state dir (or its app subfolder, or a file in it) could be written by someone other than the running user, or
 * a file there is a symlink: nothing in it is trusted (the CLI exits 5). Fix the ownership or mode, or choose another
 * `--state-dir`.
 */
export class UnsafeStateDirError extends GracefulElbError {
  readonly path: string;

  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_UNSAFE_STATE_DIR', `Refusing to use ${path}: it ${problem}`, options);
    this.path = path;
  }
}

import { UnsafeStateDirError } from '../privateDir.js';
import { StateFileError } from './errors.js';
import { readPrivateFile, writePrivateFileAtomic } from '../privateFiles.js';
import type { LifecycleState } from '../lifecycleMessage.js';
import type { ProcessIdentity } from './processIdentity.js';

/**
 * The supervisor's own phase (the app's lifecycle phase, reported by the library, is `lifecycle`):
 * starting → running ⇄ restarting → stopping → stopped, or → exited when the app died for good.
 */
export type SupervisorStatus = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'exited';

export interface SupervisorState {
  version: 1;
  name: string;
  status: SupervisorStatus;
  /** Why the supervisor ended (status 'exited', or 'stopped' after a SIGKILL). */
  reason?: string;
  supervisor: ProcessIdentity & { startedAt: number };
  app: {
    script: string;
    args: string[];
    cwd: string;
    /** The current (or last) app process; absent until the first spawn. */
    process?: ProcessIdentity;
    startedAt?: number;
    restarts: number;
  };
  /** The last LifecycleMessage from the current app process (reset on every spawn). */
  lifecycle?: { state: LifecycleState; at: number; error?: { code: string; message: string } };
  /** The app sent the plain 'ready' message (PM2's convention; the library sends it on in-service). */
  ready: boolean;
  lastExit?: { pid: number; code: number | null; signal: string | null; at: number; uptimeMs: number };
  /** The bound the supervisor applies when it is stopped without a stop request (e.g. a system shutdown). */
  stopTimeoutSeconds: number;
  stop?: { requestedAt: number; timeoutSeconds: number; escalatedAt?: number; exitedAt?: number };
  logs: { out: string; err: string; supervisor: string };
  /** The CodeDeploy deployment that started this supervisor, when started from a hook. */
  codedeploy?: { deploymentId?: string; applicationName?: string; deploymentGroupName?: string; lifecycleEvent?: string };
  updatedAt: number;
}

/** `stop` writes this before signalling the supervisor: a signal carries no payload. */
export interface StopRequest {
  timeoutSeconds: number;
  requestedAt: number;
  pid: number;
}

/** The parsed JSON, or undefined when the file does not exist. */
export function readJsonFile<T>(path: string): T | undefined {
  let text: string | undefined;
  try {
    text = readPrivateFile(path);
  } catch (err) {
    if (err instanceof UnsafeStateDirError) throw err;
    throw new StateFileError(path, 'Cannot read the state file', { cause: err });
  }
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new StateFileError(path, 'The state file is not valid JSON', { cause: err });
  }
}

/**
 * Write to a temporary file in the same directory, then rename over the target: readers polling the file
 * see the old or the new content, never half of it (rename is atomic within one filesystem).
 */
export function writeJsonFileAtomic(path: string, value: unknown): void {
  try {
    writePrivateFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
  } catch (err) {
    if (err instanceof UnsafeStateDirError) throw err;
    throw new StateFileError(path, 'Cannot write the state file', { cause: err });
  }
}

export function readState(path: string): SupervisorState | undefined {
  const state = readJsonFile<SupervisorState>(path);
  if (state !== undefined && (state.version !== 1 || typeof state.supervisor?.pid !== 'number')) {
    throw new StateFileError(path, 'The state file was not written by this version of graceful-elb');
  }
  return state;
}

import { readFileSync, statSync } from 'node:fs';

/**
 * A pid plus what makes it unique on Linux: the process start time (clock ticks since boot), the boot id and
 * its owner. State files outlive processes and reboots; a bare pid from a file may by now belong to sshd, and
 * `stop` must never signal that. Elsewhere (no /proc) the extra fields are absent and only the pid counts.
 */
export interface ProcessIdentity {
  pid: number;
  startTicks?: string;
  bootId?: string;
  /** The effective uid the process runs as (the owner of /proc/<pid>). */
  uid?: number;
}

export function identifyProcess(pid: number): ProcessIdentity {
  const stat = readProcStat(pid);
  const bootId = readBootId();
  const uid = procOwner(pid);
  return {
    pid,
    ...(stat ? { startTicks: stat.startTicks } : {}),
    ...(bootId ? { bootId } : {}),
    ...(uid !== undefined ? { uid } : {}),
  };
}

/**
 * True while that very process runs (a zombie, already dead but not reaped, counts as gone). With /proc, the start
 * time, boot id and owner must all have been recorded and all match: an identity lacking one (a hand-written or
 * older state file) matches nothing, so nothing is ever signalled on its word.
 */
export function isProcessRunning(identity: ProcessIdentity): boolean {
  if (!Number.isInteger(identity.pid) || identity.pid <= 0) return false;
  try {
    process.kill(identity.pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else — alive, and the identity check below decides.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readProcStat(identity.pid);
  if (stat === undefined) return process.platform !== 'linux';
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return identity.startTicks === stat.startTicks && identity.bootId === readBootId() && identity.uid === procOwner(identity.pid);
}

function procOwner(pid: number): number | undefined {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
}

function readProcStat(pid: number): { state: string; startTicks: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses:
  // the fields that follow are counted from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19]; // field 22 of proc(5)
  return state !== undefined && startTicks !== undefined ? { state, startTicks } : undefined;
}

function readBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

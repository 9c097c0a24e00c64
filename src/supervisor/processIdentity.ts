import { readFileSync } from 'node:fs';

/**
 * A pid plus what makes it unique on Linux: the process start time (clock ticks since boot) and the boot
 * id. State files outlive processes and reboots; a bare pid from a file may by now belong to sshd, and
 * `stop` must never signal that. Elsewhere (no /proc) the extra fields are absent and only the pid counts.
 */
export interface ProcessIdentity {
  pid: number;
  startTicks?: string;
  bootId?: string;
}

export function identifyProcess(pid: number): ProcessIdentity {
  const stat = readProcStat(pid);
  const bootId = readBootId();
  return {
    pid,
    ...(stat ? { startTicks: stat.startTicks } : {}),
    ...(bootId ? { bootId } : {}),
  };
}

/** True while that very process runs (a zombie, already dead but not reaped, counts as gone). */
export function isProcessRunning(identity: ProcessIdentity): boolean {
  if (!Number.isInteger(identity.pid) || identity.pid <= 0) return false;
  try {
    process.kill(identity.pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else — alive, and the identity check below decides.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (identity.bootId !== undefined) {
    const bootId = readBootId();
    if (bootId !== undefined && bootId !== identity.bootId) return false;
  }
  const stat = readProcStat(identity.pid);
  if (stat === undefined) return process.platform !== 'linux';
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return identity.startTicks === undefined || identity.startTicks === stat.startTicks;
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

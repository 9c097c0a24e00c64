import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** At most 64 KiB from the end are read: enough for the last lines, bounded for a huge log. */
const MAX_TAIL_BYTES = 64 * 1024;

/** The last `lines` lines of a log file written after byte `from` ('' when there is none). */
export function logTail(path: string, lines: number, from = 0): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = statSync(path).size;
    const start = Math.max(from, size - MAX_TAIL_BYTES);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    readSync(fd, buffer, 0, buffer.length, start);
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

import { readdirSync, readFileSync } from 'node:fs';

/** What one process holds, from /proc (Linux). */
export interface ProcessUsage {
  readonly pid: number;
  readonly command: string;
  readonly rssKiB: number;
  readonly fds: number;
}

/** The soak's leak picture at one moment. */
export interface Census {
  /** The soak process itself: it runs the local ELB (and, between runs, no load). */
  readonly localElb: {
    readonly rssKiB: number;
    readonly heapUsedKiB: number;
    readonly fds: number;
    readonly activeResources: number;
    /** The same resources by kind (TCPSocketWrap, Timeout, …), so a growth names what grew. */
    readonly activeResourcesByKind: Readonly<Record<string, number>>;
  };
  /** Every process started for the fleet (supervisors, apps, anything a hook left behind). */
  readonly fleet: readonly ProcessUsage[];
}

/**
 * Takes the census: the soak process's own numbers (after a full GC when node runs with --expose-gc, so heap
 * growth means retained objects) and every process whose environment carries `marker` (the fleet's state dir,
 * which every supervisor, app and hook script inherits), with its RSS and open file descriptors.
 */
export function takeCensus(marker: string): Census {
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  const resources = process.getActiveResourcesInfo();
  const byKind: Record<string, number> = {};
  for (const kind of resources) byKind[kind] = (byKind[kind] ?? 0) + 1;
  return {
    localElb: {
      rssKiB: Math.round(memory.rss / 1024),
      heapUsedKiB: Math.round(memory.heapUsed / 1024),
      fds: countFds('self'),
      activeResources: resources.length,
      activeResourcesByKind: byKind,
    },
    fleet: fleetProcesses(marker),
  };
}

function fleetProcesses(marker: string): ProcessUsage[] {
  const found: ProcessUsage[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (!environ.includes(marker)) continue;
      const status = readFileSync(`/proc/${entry}/status`, 'latin1');
      const rssKiB = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
      const command = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').filter(Boolean).slice(0, 3).join(' ');
      found.push({ pid: Number(entry), command, rssKiB, fds: countFds(entry) });
    } catch {
      // Gone between readdir and read, or not ours to read: not part of the fleet.
    }
  }
  return found.sort((a, b) => a.pid - b.pid);
}

function countFds(pid: string): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * The baseline of several censuses: the fleet of the first (taken when it had just settled), the local ELB's numbers
 * each at their highest, handle kinds included.
 */
export function baselineCensus(censuses: readonly Census[]): Census {
  const [first] = censuses;
  if (first === undefined) throw new RangeError('a baseline needs at least one census');
  const highest = (pick: (c: Census) => number): number => Math.max(...censuses.map(pick));
  const byKind: Record<string, number> = {};
  for (const c of censuses) for (const [kind, n] of Object.entries(c.localElb.activeResourcesByKind)) byKind[kind] = Math.max(byKind[kind] ?? 0, n);
  return {
    localElb: {
      rssKiB: highest((c) => c.localElb.rssKiB),
      heapUsedKiB: highest((c) => c.localElb.heapUsedKiB),
      fds: highest((c) => c.localElb.fds),
      activeResources: highest((c) => c.localElb.activeResources),
      activeResourcesByKind: byKind,
    },
    fleet: first.fleet,
  };
}

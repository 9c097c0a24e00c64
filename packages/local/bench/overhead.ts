import autocannon from 'autocannon';
import { BENCH_DEFAULTS } from '../src/demo/defaults.js';
import { freePort, processCpuMs, startBenchApp, startBenchBalancer, type BenchApp } from './appProcess.js';
import { median } from './stats.js';

export interface OverheadResult {
  readonly runsPerSide: number;
  readonly secondsPerRun: number;
  readonly connections: number;
  /** requests per second of each run, in the order run */
  readonly withLibrary: readonly number[];
  readonly withoutLibrary: readonly number[];
  readonly medianWith: number;
  readonly medianWithout: number;
  /** with / without of each round (the two runs of a round are back to back) */
  readonly pairedRatios: readonly number[];
  /** The median of the paired ratios; the target is >= 0.98 */
  readonly ratio: number;
  /**
   * The app's own CPU time per request over all runs, µs (Linux /proc; undefined elsewhere): steadier than
   * throughput on a shared machine. without / with is the throughput ratio a CPU-bound server would see.
   */
  readonly cpuMicrosPerRequest: { readonly with: number; readonly without: number; readonly ratio: number } | undefined;
}

/**
 * Request-path overhead: the example app's throughput with the library in service behind the local ELB, and
 * the same app with GRACEFUL_ELB_DISABLE=1, both hit directly (not through the balancer, whose proxy would be
 * the bottleneck) with unthrottled autocannon. Runs alternate between the two sides, the first side switching
 * every round, and the ratio is the median of each round's with/without: a machine shared with other work
 * drifts by more than the overhead being measured, and back-to-back pairs see the same drift.
 */
export async function measureOverhead(libraryRoot: string, log: (line: string) => void): Promise<OverheadResult> {
  const { overheadRuns: runs, overheadSeconds: seconds, overheadConnections: connections } = BENCH_DEFAULTS;
  const drainSeconds = 30;
  const lb = await startBenchBalancer(drainSeconds, {});
  const [portWith, portWithout] = [await freePort(), await freePort()];
  const withApp = await startBenchApp({ libraryRoot, lb, index: 0, port: portWith, library: true, drainSeconds });
  const withoutApp = await startBenchApp({ libraryRoot, lb, index: 1, port: portWithout, library: false, drainSeconds });
  const withLibrary: number[] = [];
  const withoutLibrary: number[] = [];
  const cpu: Record<'with' | 'without', { ms: number | undefined; requests: number }> = { with: { ms: 0, requests: 0 }, without: { ms: 0, requests: 0 } };
  try {
    const run = async (app: BenchApp): Promise<{ rate: number; requests: number; cpuMs: number | undefined }> => {
      const cpuBefore = processCpuMs(app.child.pid);
      const result = await autocannon({ url: `http://127.0.0.1:${app.port}/`, connections, duration: seconds });
      const cpuAfter = processCpuMs(app.child.pid);
      if (result.errors > 0 || result.non2xx > 0) throw new Error(`overhead run had ${result.errors} errors and ${result.non2xx} non-2xx answers`);
      const cpuMs = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
      return { rate: result.requests.average, requests: result.requests.total, cpuMs };
    };
    for (let round = 0; round < runs; round++) {
      const order = round % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const);
      for (const side of order) {
        const { rate, requests, cpuMs } = await run(side === 'with' ? withApp : withoutApp);
        (side === 'with' ? withLibrary : withoutLibrary).push(rate);
        const totals = cpu[side];
        totals.requests += requests;
        totals.ms = totals.ms === undefined || cpuMs === undefined ? undefined : totals.ms + cpuMs;
        log(`  overhead round ${round + 1}/${runs}, ${side} the library: ${Math.round(rate)} req/s`);
      }
    }
  } finally {
    await withApp.stop();
    await withoutApp.stop();
    await lb.close();
  }
  const medianWith = median(withLibrary);
  const medianWithout = median(withoutLibrary);
  const pairedRatios = withLibrary.map((rate, i) => rate / (withoutLibrary[i] ?? Number.NaN));
  const perRequest = (side: 'with' | 'without'): number | undefined => {
    const { ms, requests } = cpu[side];
    return ms === undefined || requests === 0 ? undefined : (ms * 1000) / requests;
  };
  const cpuWith = perRequest('with');
  const cpuWithout = perRequest('without');
  const cpuMicrosPerRequest = cpuWith === undefined || cpuWithout === undefined ? undefined : { with: cpuWith, without: cpuWithout, ratio: cpuWithout / cpuWith };
  return { runsPerSide: runs, secondsPerRun: seconds, connections, withLibrary, withoutLibrary, medianWith, medianWithout, pairedRatios, ratio: median(pairedRatios), cpuMicrosPerRequest };
}

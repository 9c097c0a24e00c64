import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DEMO_DEFAULTS } from './defaults.js';

/** How late the demo process's own event loop ran while the load was on: it hosts the local ELB and the load. */
export interface HostLoopReport {
  readonly p99Ms: number;
  readonly maxMs: number;
  /**
   * The loop was held up long enough (`DEMO_DEFAULTS.hostStarvedMs`) for the balancer and the load generator to
   * fall behind: requests then time out in this process, whatever the deployment does (a machine too busy to run
   * the demo, not a failure of the approach under test).
   */
  readonly starved: boolean;
}

export interface HostLoopMonitor {
  /** Stops sampling (idempotent) and returns what it saw. */
  stop(): HostLoopReport;
}

/** Samples the event loop's delay from now until `stop()`. */
export function monitorHostLoop(): HostLoopMonitor {
  const histogram = monitorEventLoopDelay({ resolution: DEMO_DEFAULTS.hostLoopResolutionMs });
  histogram.enable();
  let report: HostLoopReport | undefined;
  return {
    stop(): HostLoopReport {
      if (report) return report;
      histogram.disable();
      const ms = (ns: number): number => Math.round(ns / 1e5) / 10;
      // With no sample yet (a run shorter than one resolution), the histogram reports NaN/huge values: report 0.
      const count = histogram.count;
      const p99Ms = count > 0 ? ms(histogram.percentile(99)) : 0;
      const maxMs = count > 0 ? ms(histogram.max) : 0;
      report = { p99Ms, maxMs, starved: maxMs >= DEMO_DEFAULTS.hostStarvedMs };
      return report;
    },
  };
}
